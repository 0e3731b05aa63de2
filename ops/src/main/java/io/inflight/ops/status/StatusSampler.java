package io.inflight.ops.status;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a sample every interval on one daemon thread and appends it to a {@link StatusSeries}; a
 * sample that is not available (empty) is skipped, one that fails is logged and skipped. Close to stop.
 */
public final class StatusSampler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StatusSampler.class);

    private final ScheduledExecutorService executor;

    public StatusSampler(Duration interval, Supplier<Optional<Map<String, Double>>> sample, StatusSeries series) {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "inflight-status-sampler");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                sample.get().ifPresent(v -> series.add(System.currentTimeMillis(), v));
            } catch (RuntimeException e) {
                LOG.warn("status sample failed: {}", e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
