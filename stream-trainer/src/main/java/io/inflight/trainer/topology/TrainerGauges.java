package io.inflight.trainer.topology;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.MemoryReport;
import io.inflight.store.SharedRows;
import io.inflight.trainer.metrics.MeterCatalogue;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trainer's sampled gauges ({@link MeterCatalogue}): what its tasks already know, read on their
 * threads through {@link TrainerTasks} (progressive metrics as {@link ProgressiveMetrics#summary},
 * the table as {@link TableStats} and {@link MemoryReport}), nothing computed again. Each
 * {@link #sample} reads them once and returns them as named values for the status page; the gauges
 * show the last sample (NaN before the first). Reading is not training: a sample changes no state.
 */
public final class TrainerGauges {

    private final String applicationId;
    private final int partitions;
    private final long budgetBytes;
    private final TrainerMeters meters;
    private final Map<String, Double> last = new ConcurrentHashMap<>();
    private long lastEvents = -1;
    private long lastNanos;

    /**
     * Registers the gauges on {@code registry}.
     *
     * @param chunks      chunks per row (rows by chunk count go from 0 to this)
     * @param budgetBytes the byte budget the policies enforce, 0 for none
     */
    public TrainerGauges(String applicationId, int partitions, int chunks, long budgetBytes, TrainerMeters meters,
                         MeterRegistry registry) {
        this.applicationId = applicationId;
        this.partitions = partitions;
        this.budgetBytes = budgetBytes;
        this.meters = meters;
        for (String scope : List.of("stream", "window")) {
            String suffix = scope.equals("window") ? ".window" : "";
            gauge(registry, MeterCatalogue.AUC, "auc" + suffix, MeterCatalogue.SCOPE, scope);
            gauge(registry, MeterCatalogue.LOG_LOSS, "logloss" + suffix, MeterCatalogue.SCOPE, scope);
            gauge(registry, MeterCatalogue.NE, "ne" + suffix, MeterCatalogue.SCOPE, scope);
            gauge(registry, MeterCatalogue.CALIBRATION, "calibration" + suffix, MeterCatalogue.SCOPE, scope);
        }
        gauge(registry, MeterCatalogue.EVENT_RATE, "events.rate");
        gauge(registry, MeterCatalogue.PUBLICATION_LAG, "publication.lag");
        gauge(registry, MeterCatalogue.TABLE_BYTES, "bytes.hot", MeterCatalogue.TIER, "hot");
        gauge(registry, MeterCatalogue.TABLE_BYTES, "bytes.cold", MeterCatalogue.TIER, "cold");
        for (Precision p : Precision.values()) {
            String name = p.name().toLowerCase(Locale.ROOT);
            gauge(registry, MeterCatalogue.TABLE_PRECISION_BYTES, "bytes." + name, MeterCatalogue.PRECISION, name);
        }
        for (int c = 0; c <= chunks; c++) {
            gauge(registry, MeterCatalogue.TABLE_CHUNKS_BYTES, "bytes.chunks." + c, MeterCatalogue.CHUNKS, "" + c);
            gauge(registry, MeterCatalogue.TABLE_ROWS, "rows.chunks." + c, MeterCatalogue.CHUNKS, "" + c);
        }
        gauge(registry, MeterCatalogue.TABLE_METADATA_BYTES, "bytes.metadata");
        gauge(registry, MeterCatalogue.TABLE_BUDGET, "budget");
        gauge(registry, MeterCatalogue.SHARED_BYTES, "shared.bytes");
    }

    private void gauge(MeterRegistry registry, String name, String key, String... tags) {
        MeterCatalogue.Meter m = MeterCatalogue.of(name);
        Gauge.builder(name, last, values -> values.getOrDefault(key, Double.NaN)).description(m.meaning())
                .baseUnit(m.unit().isEmpty() ? null : m.unit()).tags(tags).register(registry);
    }

    /**
     * Reads every task of the application here (each on its own thread, waiting at most
     * {@code timeout}); the values by series name ({@code auc}, {@code auc.window}, {@code events},
     * {@code events.rate}, {@code bytes.fp32}, {@code rows.chunks.2}, ...), or empty while a task
     * does not answer (starting, rebalancing, stopped).
     */
    public synchronized Optional<Map<String, Double>> sample(Duration timeout) {
        Optional<ProgressiveMetrics> stream = TrainerTasks.metrics(applicationId, false, partitions, timeout);
        Optional<ProgressiveMetrics> window = TrainerTasks.metrics(applicationId, true, partitions, timeout);
        Optional<TableStats> table = TrainerTasks.tableStats(applicationId, timeout);
        Optional<List<Memory>> memory = TrainerTasks.call(applicationId, Memory::of, timeout);
        if (stream.isEmpty() || window.isEmpty() || table.isEmpty() || memory.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Double> v = new LinkedHashMap<>();
        ProgressiveMetrics.Summary s = stream.get().summary();
        long now = System.nanoTime();
        v.put("events", (double) s.events());
        v.put("events.rate", lastEvents < 0 ? Double.NaN : (s.events() - lastEvents) / ((now - lastNanos) / 1e9));
        lastEvents = s.events();
        lastNanos = now;
        put(v, "", s);
        put(v, ".window", window.get().summary());
        long published = meters.lastPublicationMs();
        v.put("publication.lag", published < 0 ? Double.NaN : (System.currentTimeMillis() - published) / 1e3);
        v.put("publication.gate", (double) meters.gatesClosed());
        long hot = 0;
        long cold = 0;
        long shared = 0;
        long metadata = 0;
        long[] byPrecision = new long[Precision.values().length];
        for (Memory m : memory.get()) {
            hot += m.hot;
            cold += m.cold;
            shared += m.shared;
            metadata += m.metadata;
            for (int i = 0; i < byPrecision.length; i++) {
                byPrecision[i] += m.byPrecision[i];
            }
        }
        v.put("bytes.hot", (double) hot);
        v.put("bytes.cold", (double) cold);
        for (Precision p : Precision.values()) {
            v.put("bytes." + p.name().toLowerCase(Locale.ROOT), (double) byPrecision[p.ordinal()]);
        }
        v.put("bytes.metadata", (double) metadata);
        long[] rows = table.get().rowsByChunks();
        long[] bytes = table.get().bytesByChunks();
        for (int c = 0; c < rows.length; c++) {
            v.put("bytes.chunks." + c, (double) bytes[c]);
            v.put("rows.chunks." + c, (double) rows[c]);
        }
        v.put("rows", (double) table.get().rows());
        v.put("budget", (double) budgetBytes);
        v.put("shared.bytes", (double) shared);
        last.putAll(v);
        return Optional.of(v);
    }

    private static void put(Map<String, Double> v, String suffix, ProgressiveMetrics.Summary s) {
        v.put("auc" + suffix, s.auc());
        v.put("logloss" + suffix, s.logLoss());
        v.put("ne" + suffix, s.ne());
        v.put("calibration" + suffix, s.calibration());
    }

    /**
     * One task's bytes by tier, its value bytes by precision, its metadata bytes and its shared rows'
     * bytes, from its store's own accounting.
     */
    private record Memory(long hot, long cold, long shared, long metadata, long[] byPrecision) {
        static Memory of(TrainerTasks.View view) {
            long[] byPrecision = new long[Precision.values().length];
            if (!(view.rows() instanceof EmbeddingStore store)) {
                return new Memory(view.rows().storedBytes(), 0, 0, 0, byPrecision);
            }
            MemoryReport m = store.memory();
            m.valueBytesByPrecision().forEach((p, b) -> byPrecision[p.ordinal()] = b);
            SharedRows shared = store.shared();
            return new Memory(m.hotValueBytes() + m.hotMetadataBytes(), m.coldValueBytes() + m.coldMetadataBytes(),
                    shared == null ? 0 : shared.bytes(), m.metadataBytes(), byPrecision);
        }
    }
}
