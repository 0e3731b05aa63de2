package io.inflight.ops.serve;

import io.inflight.trainer.metrics.MeterCatalogue;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The meters of a serving replica ({@link MeterCatalogue}): freshness of each applied update as a
 * histogram (recorded by the {@link ServingReplica}), the rows it holds and the updates it applied
 * (read from it), scoring requests with their latency (recorded by the {@link ServeEndpoint}).
 * Thread-safe.
 */
public final class ServeMeters {

    private final ServingReplica replica;
    private final Timer freshness;
    private final Timer ok;
    private final Timer error;
    private long lastRequests = -1;
    private double lastRequestNanos;
    private long lastSampleNanos;

    private ServeMeters(ServingReplica replica, MeterRegistry registry) {
        this.replica = replica;
        this.freshness = Timer.builder(MeterCatalogue.FRESHNESS).description(MeterCatalogue.of(MeterCatalogue.FRESHNESS).meaning())
                .publishPercentileHistogram().register(registry);
        String requests = MeterCatalogue.of(MeterCatalogue.REQUESTS).meaning();
        this.ok = Timer.builder(MeterCatalogue.REQUESTS).description(requests).tag(MeterCatalogue.OUTCOME, "ok")
                .publishPercentileHistogram().register(registry);
        this.error = Timer.builder(MeterCatalogue.REQUESTS).description(requests).tag(MeterCatalogue.OUTCOME, "error")
                .publishPercentileHistogram().register(registry);
        Gauge.builder(MeterCatalogue.SERVE_ROWS, replica, r -> r.model().rows()).baseUnit("rows")
                .description(MeterCatalogue.of(MeterCatalogue.SERVE_ROWS).meaning()).register(registry);
        FunctionCounter.builder(MeterCatalogue.SERVE_UPDATES, replica, ServingReplica::applied).baseUnit("updates")
                .description(MeterCatalogue.of(MeterCatalogue.SERVE_UPDATES).meaning()).register(registry);
    }

    /** Meters of {@code replica} on {@code registry}; the replica reports each update's freshness to them from now on. */
    public static ServeMeters on(ServingReplica replica, MeterRegistry registry) {
        ServeMeters m = new ServeMeters(replica, registry);
        replica.onFreshness(m::freshness);
        return m;
    }

    void freshness(long ms) {
        freshness.record(Math.max(0, ms), TimeUnit.MILLISECONDS);
    }

    /** A scoring request answered with {@code status} after {@code nanos}. */
    void request(int status, long nanos) {
        (status < 400 ? ok : error).record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The values the status page plots: freshness p50/p99 of the replica's last updates (as
     * {@link ServingReplica#lagPercentiles} measures them), rows, updates, requests per second and
     * their mean latency since the previous sample.
     */
    public synchronized Optional<Map<String, Double>> sample() {
        Map<String, Double> v = new LinkedHashMap<>();
        long[] lag = replica.lagPercentiles();
        v.put("freshness.p50", lag[0] < 0 ? Double.NaN : lag[0]);
        v.put("freshness.p99", lag[1] < 0 ? Double.NaN : lag[1]);
        v.put("rows", (double) replica.model().rows());
        v.put("updates", (double) replica.applied());
        long now = System.nanoTime();
        long count = ok.count() + error.count();
        double total = ok.totalTime(TimeUnit.NANOSECONDS) + error.totalTime(TimeUnit.NANOSECONDS);
        boolean first = lastRequests < 0;
        v.put("requests.rate", first ? Double.NaN : (count - lastRequests) / ((now - lastSampleNanos) / 1e9));
        v.put("latency.mean", first || count == lastRequests ? Double.NaN
                : (total - lastRequestNanos) / (count - lastRequests) / 1e6);
        lastRequests = count;
        lastRequestNanos = total;
        lastSampleNanos = now;
        return Optional.of(v);
    }
}
