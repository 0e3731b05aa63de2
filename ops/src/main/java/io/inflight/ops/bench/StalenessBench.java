package io.inflight.ops.bench;

import io.inflight.store.EmbeddingStore;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.train.BatchTrainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What row staleness and data-parallel dense training cost in AUC, in-process (issue 16's sharded
 * design): one pass over a stream in order with progressive validation, exactly the topology's
 * training step ({@link BatchTrainer}, policy mode {@code none}, fp32 rows of the model's D as
 * {@link InProcessRun} runs it), but with the row table behind {@link StaleRows}: batch b's row
 * reads see the row updates of batches {@code <= b - W} only. With T trainers the batches are dealt
 * round-robin in stream order to T model replicas, run in order against the one shared table (W
 * counted in global batches); after every N batches of each replica the replicas' dense parameters
 * (the first {@link BatchModel#parameterCount()} floats of {@link BatchModel#exportDense}) are
 * averaged and imported into every replica, each keeping its own optimizer state. Every run is
 * compared with the reference (W = 1, T = 1: today's trainer) on the same events by DeLong's paired
 * test ({@link PairedAuc}).
 */
public final class StalenessBench {

    /** Bytes of a pull request per key: the key. */
    static final int PULL_BYTES = 8;
    /** Bytes of a push per key besides the gradient: the key and the access count. */
    static final int PUSH_HEADER_BYTES = 8 + 4;
    /** Bytes of a Kafka record's overhead (headers, offsets, batch framing), per request and per reply. */
    static final int RECORD_OVERHEAD_BYTES = 70;
    /** Shard counts the wire-cost model is printed for. */
    public static final List<Integer> SHARDS = List.of(1, 4, 16);

    /**
     * One cell of the grid.
     *
     * @param window    W >= 1: batch b reads the row updates of batches {@code <= b - W}
     * @param trainers  T >= 1 model replicas
     * @param syncEvery N: batches of each replica between dense averages; 0 with one trainer
     */
    public record Cell(int window, int trainers, int syncEvery) {
        /** The reference: W = 1, T = 1 (the trainer as it runs today). */
        public static final Cell REFERENCE = new Cell(1, 1, 0);

        public boolean reference() {
            return equals(REFERENCE);
        }
    }

    /**
     * The selection shared by every run: models, batch size, embedding dimension, MLP sizes, the
     * cells (the reference first) and further trainer settings ({@code --set}; not those of
     * {@link CompressionBench#OWN_KEYS}).
     */
    public record Options(List<String> models, int batch, int dim, List<Integer> hidden, List<Cell> cells,
                          Map<String, String> extra) {
    }

    /**
     * One run; {@code status} is {@code ok} or {@code failed: ...}. {@code seconds} is the time in
     * training steps, dense averages and the final flush (reading or generating events excluded);
     * {@code stride} the floats per row in a pull reply or push (D + 1); {@code parameters} the dense
     * parameters averaged at a sync.
     */
    public record Run(String stream, String model, int batch, Cell cell, ProgressiveMetrics.Summary metrics,
                      double referenceAuc, double deltaAucSe, long batches, double seconds, double keysPerBatch,
                      int stride, int parameters, long refused, String status) {

        public boolean ok() {
            return status.equals("ok");
        }

        public double auc() {
            return metrics == null ? Double.NaN : metrics.auc();
        }

        public double deltaAuc() {
            return auc() - referenceAuc;
        }

        public long events() {
            return metrics == null ? 0 : metrics.events();
        }

        public double eventsPerSecond() {
            return events() / Math.max(1e-9, seconds);
        }

        /** Events per batch: the batch size, but for the last partial batch. */
        public double meanBatch() {
            return batches == 0 ? Double.NaN : (double) events() / batches;
        }

        /**
         * Wire bytes per event with the rows in {@code shards} shards: per batch, each distinct key is
         * pulled (8 B), its row comes back (4 x stride B) and its gradient is pushed (8 + 4 + 4 x
         * stride B), and each shard gets one request and one push (a record of 70 B overhead each);
         * divided by the events of a batch.
         */
        public double wireBytesPerEvent(int shards) {
            double perKey = PULL_BYTES + PUSH_HEADER_BYTES + 4.0 * stride + 4.0 * stride;
            return (keysPerBatch * perKey + 2.0 * shards * RECORD_OVERHEAD_BYTES) / meanBatch();
        }

        /**
         * Dense-sync bytes per event: at every average each replica sends and receives its parameters
         * (2 x 4 x P bytes per replica per N of its batches); 0 with one trainer.
         */
        public double denseSyncBytesPerEvent() {
            return cell.trainers() <= 1 ? 0 : 8.0 * parameters / (cell.syncEvery() * meanBatch());
        }
    }

    private StalenessBench() {
    }

    /**
     * The grid: every window of {@code windows} with one trainer, then every trainer count above 1
     * of {@code trainers} with every sync period of {@code sync} at window {@code dpWindow}; the
     * reference (W = 1, T = 1) first, whether asked for or not, and no cell twice.
     *
     * @throws IllegalArgumentException naming the flag when a value is out of range
     */
    public static List<Cell> grid(List<Integer> windows, List<Integer> trainers, List<Integer> sync, int dpWindow) {
        check("--windows", windows, 1, 4096);
        check("--trainers", trainers, 1, 64);
        check("--sync", sync, 1, 1_000_000);
        check("--dp-window", List.of(dpWindow), 1, 4096);
        List<Cell> cells = new ArrayList<>();
        cells.add(Cell.REFERENCE);
        for (int w : windows) {
            add(cells, new Cell(w, 1, 0));
        }
        for (int t : trainers) {
            if (t > 1) {
                for (int n : sync) {
                    add(cells, new Cell(dpWindow, t, n));
                }
            }
        }
        return cells;
    }

    private static void add(List<Cell> cells, Cell c) {
        if (!cells.contains(c)) {
            cells.add(c);
        }
    }

    private static void check(String flag, List<Integer> values, int min, int max) {
        for (int v : values) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(flag + ": each value must be in [" + min + ", " + max + "], got " + v);
            }
        }
    }

    /**
     * The trainer settings of {@code model} on {@code stream}: those of bench compression, mode none,
     * then {@link Options#extra}.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key when a setting is refused
     */
    public static BatchSettings settings(CompressionBench.Stream stream, String model, Options o) {
        var co = new CompressionBench.Options(List.of(model), List.of(), List.of(), o.batch(), o.dim(),
                Integer.toString(o.dim()), o.hidden(), 1, o.extra());
        return InflightConfig.parse(CompressionBench.config(stream, model, "none", 0, 1, co)).batchSettings();
    }

    /** Runs every cell of every model on {@code stream}, each handed to {@code done} once measured. */
    public static List<Run> run(CompressionBench.Stream stream, Options o, PrintStream log, Consumer<Run> done) {
        List<Run> runs = new ArrayList<>();
        log.printf(Locale.ROOT, "[staleness] %s: %s; batch %d, %d cells per model%n", stream.name(), stream.description(),
                o.batch(), o.cells().size());
        for (String model : o.models()) {
            PairedAuc.Scores refScores = new PairedAuc.Scores();
            Run ref = one(stream, model, Cell.REFERENCE, o, Double.NaN, refScores, null, log);
            ref = withReference(ref, ref.auc());
            runs.add(ref);
            done.accept(ref);
            if (!ref.ok()) {
                continue;
            }
            for (Cell c : o.cells()) {
                if (!c.reference()) {
                    Run r = one(stream, model, c, o, ref.auc(), new PairedAuc.Scores(), refScores, log);
                    runs.add(r);
                    done.accept(r);
                }
            }
        }
        return runs;
    }

    private static Run withReference(Run r, double refAuc) {
        return new Run(r.stream(), r.model(), r.batch(), r.cell(), r.metrics(), refAuc, Double.NaN, r.batches(),
                r.seconds(), r.keysPerBatch(), r.stride(), r.parameters(), r.refused(), r.status());
    }

    /** One cell: its scores go to {@code own}, compared with {@code refScores} when that is not null. */
    private static Run one(CompressionBench.Stream stream, String model, Cell cell, Options o, double refAuc,
                           PairedAuc.Scores own, PairedAuc.Scores refScores, PrintStream log) {
        String label = String.format(Locale.ROOT, "%s %s W=%d T=%d N=%d", stream.name(), model, cell.window(),
                cell.trainers(), cell.syncEvery());
        try {
            BatchSettings settings = settings(stream, model, o);
            Measured m = train(settings, cell, stream.open().get(), own);
            Run r = new Run(stream.name(), model, o.batch(), cell, m.metrics(), refAuc,
                    refScores == null ? Double.NaN : PairedAuc.compare(refScores, own).se(), m.batches(), m.seconds(),
                    m.keysPerBatch(), m.stride(), m.parameters(), m.refused(), "ok");
            log.printf(Locale.ROOT, "[staleness] %-40s AUC %.4f  dAUC %+.4f  %,.0f ev/s  %.1f keys/batch%n", label,
                    r.auc(), cell.reference() ? 0.0 : r.deltaAuc(), r.eventsPerSecond(), r.keysPerBatch());
            return r;
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            log.printf(Locale.ROOT, "[staleness] %-40s FAILED: %s%n", label, msg);
            return new Run(stream.name(), model, o.batch(), cell, null, refAuc, Double.NaN, 0, 0, Double.NaN, 0, 0, 0,
                    "failed: " + msg);
        }
    }

    /**
     * What {@link #train} measured: progressive metrics over every event, batches, seconds in steps,
     * dense averages and the final flush, mean distinct keys per batch, floats per row, dense
     * parameters and batches the models refused as non-finite.
     */
    public record Measured(ProgressiveMetrics.Summary metrics, long batches, double seconds, double keysPerBatch,
                           int stride, int parameters, long refused) {
    }

    /**
     * Trains {@code events} as one cell: fp32 rows of the model's D in memory
     * ({@link BatchTrainer#fullPrecision}), behind {@link StaleRows} with the cell's window, and the
     * cell's trainers (fresh models of {@code settings}, all starting equal); every event's logit and
     * label go to {@code scores} (may be null). The reference cell trains exactly as
     * {@link InProcessRun#run(BatchSettings, BatchModel, Iterator, int)} with 4,096 AUC bins.
     */
    public static Measured train(BatchSettings settings, Cell cell, Iterator<ClickEvent> events, PairedAuc.Scores scores) {
        EmbeddingStore store = EmbeddingStore.inMemory("in-process",
                BatchTrainer.fullPrecision(settings, InProcessRun.MAX_ROWS));
        StaleRows rows = new StaleRows(store, cell.window());
        List<BatchModel> models = new ArrayList<>();
        try {
            List<BatchTrainer> trainers = new ArrayList<>();
            for (int t = 0; t < cell.trainers(); t++) {
                BatchModel m = BatchModels.create(settings);
                models.add(m);
                BatchTrainer trainer = new BatchTrainer(settings, m, rows);
                trainer.policies(null);
                trainers.add(trainer);
            }
            DenseAverage average = cell.trainers() > 1 ? new DenseAverage(models) : null;
            long round = (long) cell.trainers() * Math.max(1, cell.syncEvery());
            ProgressiveMetrics metrics = new ProgressiveMetrics(4096);
            BatchTrainer.Listener listener = scores == null ? (event, logit) -> metrics.record(logit, event.label())
                    : (event, logit) -> {
                        metrics.record(logit, event.label());
                        scores.add(logit, event.label() == 1);
                    };
            List<ClickEvent> batch = new ArrayList<>(settings.batchSize());
            long b = 0;
            long nanos = 0;
            long refused = 0;
            while (events.hasNext()) {
                batch.add(events.next());
                if (batch.size() == settings.batchSize() || !events.hasNext()) {
                    long t0 = System.nanoTime();
                    rows.begin(b);
                    refused += trainers.get((int) (b % cell.trainers())).step(batch, b, listener) ? 0 : 1;
                    b++;
                    if (average != null && b % round == 0) {
                        average.run();
                    }
                    nanos += System.nanoTime() - t0;
                    batch.clear();
                }
            }
            long t0 = System.nanoTime();
            rows.flush();
            nanos += System.nanoTime() - t0;
            return new Measured(metrics.summary(), b, nanos / 1e9, rows.meanKeysPerBatch(), rows.stride(),
                    models.get(0).parameterCount(), refused);
        } finally {
            models.forEach(BatchModel::close);
        }
    }

    /** Averages the replicas' dense parameters into every replica; each keeps its optimizer state. */
    static final class DenseAverage {
        private final List<BatchModel> models;
        private final float[][] dense;
        private final double[] sum;

        DenseAverage(List<BatchModel> models) {
            this.models = models;
            this.dense = new float[models.size()][models.get(0).denseSize()];
            this.sum = new double[models.get(0).parameterCount()];
        }

        void run() {
            Arrays.fill(sum, 0);
            for (int t = 0; t < models.size(); t++) {
                models.get(t).exportDense(dense[t]);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += dense[t][i];
                }
            }
            for (int t = 0; t < models.size(); t++) {
                for (int i = 0; i < sum.length; i++) {
                    dense[t][i] = (float) (sum[i] / models.size());
                }
                models.get(t).importDense(dense[t]);
            }
        }
    }

    /** What the table's columns mean. */
    public static final String LEGEND = "W = batch b reads the row updates of batches <= b-W; T = trainers (model "
            + "replicas, batches dealt round-robin); N = batches of each replica between dense averages; dAUC = AUC - "
            + "the W=1 T=1 reference's; SE = its standard error (DeLong, paired on the same events); keys = mean "
            + "distinct keys per batch; wire sN = modelled row-traffic bytes per event with N shards; sync = dense "
            + "averaging bytes per event";

    public static String header() {
        return String.format(Locale.ROOT, "%-17s %-7s %5s %3s %2s %4s %8s %8s %7s %9s %7s %8s %8s %8s %8s",
                "stream", "model", "batch", "W", "T", "N", "AUC", "dAUC", "SE", "ev/s", "keys", "wire s1", "wire s4",
                "wire s16", "sync");
    }

    public static String line(Run r) {
        Cell c = r.cell();
        if (!r.ok()) {
            return String.format(Locale.ROOT, "%-17s %-7s %5d %3d %2d %4d  %s", r.stream(), r.model(), r.batch(),
                    c.window(), c.trainers(), c.syncEvery(), r.status());
        }
        return String.format(Locale.ROOT, "%-17s %-7s %5d %3d %2d %4s %8.4f %+8.4f %7s %,9.0f %7.1f %,8.0f %,8.0f %,8.0f "
                        + "%,8.0f", r.stream(), r.model(), r.batch(), c.window(), c.trainers(),
                c.trainers() == 1 ? "-" : Integer.toString(c.syncEvery()), r.auc(), r.deltaAuc(),
                Double.isNaN(r.deltaAucSe()) ? "-" : String.format(Locale.ROOT, "%.4f", r.deltaAucSe()),
                r.eventsPerSecond(), r.keysPerBatch(), r.wireBytesPerEvent(1), r.wireBytesPerEvent(4),
                r.wireBytesPerEvent(16), r.denseSyncBytesPerEvent());
    }

    /** The JSON keys of every line, in order. */
    public static final List<String> JSON_KEYS = List.of("stream", "model", "batch", "window", "trainers", "sync_every",
            "status", "auc", "delta_auc", "delta_auc_se", "logloss", "events", "events_per_s", "distinct_keys_per_batch",
            "wire_bytes_per_event_s1", "wire_bytes_per_event_s4", "wire_bytes_per_event_s16", "dense_sync_bytes_per_event",
            "dense_parameters", "refused_batches");

    /** One JSON object per run ({@link #JSON_KEYS}); figures a failed run lacks are null. */
    public static String json(Run r) {
        Map<String, String> v = new LinkedHashMap<>();
        Cell c = r.cell();
        v.put("stream", quote(r.stream()));
        v.put("model", quote(r.model()));
        v.put("batch", Integer.toString(r.batch()));
        v.put("window", Integer.toString(c.window()));
        v.put("trainers", Integer.toString(c.trainers()));
        v.put("sync_every", Integer.toString(c.syncEvery()));
        v.put("status", quote(r.status()));
        boolean ok = r.ok();
        v.put("auc", num(r.auc(), "%.5f"));
        v.put("delta_auc", num(r.deltaAuc(), "%.5f"));
        v.put("delta_auc_se", num(r.deltaAucSe(), "%.5f"));
        v.put("logloss", num(ok ? r.metrics().logLoss() : Double.NaN, "%.5f"));
        v.put("events", Long.toString(r.events()));
        v.put("events_per_s", num(ok ? r.eventsPerSecond() : Double.NaN, "%.0f"));
        v.put("distinct_keys_per_batch", num(r.keysPerBatch(), "%.2f"));
        for (int s : SHARDS) {
            v.put("wire_bytes_per_event_s" + s, num(ok ? r.wireBytesPerEvent(s) : Double.NaN, "%.1f"));
        }
        v.put("dense_sync_bytes_per_event", num(ok ? r.denseSyncBytesPerEvent() : Double.NaN, "%.1f"));
        v.put("dense_parameters", Integer.toString(r.parameters()));
        v.put("refused_batches", Long.toString(r.refused()));
        StringBuilder b = new StringBuilder("{");
        for (String k : JSON_KEYS) {
            b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v.get(k));
        }
        return b.append('}').toString();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String num(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }
}
