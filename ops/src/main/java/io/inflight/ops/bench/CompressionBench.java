package io.inflight.ops.bench;

import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.shard.ShardPolicies;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The memory–AUC frontier: on each stream and model, the full-precision unlimited reference (mode
 * {@code none}, fp32) and then each policy mode at byte budgets that are fractions of the reference's
 * final table bytes ({@link io.inflight.store.EmbeddingStore#storedBytes()}), one pass over the stream
 * in order with progressive validation, exactly the topology's training step ({@link InProcessRun}).
 *
 * <p>Modes are plain strings handed to {@link PolicySettings} as {@code inflight.policy.mode}: a mode
 * this build's {@link PolicyMode#parse} refuses is reported as {@code unavailable}, not as a failure.
 * Stored bytes are read after every training step (before any pass, where the table is largest) and
 * after every pass; both reads are O(1) running totals and are not timed.
 *
 * <p>With {@link Options#shards} S > 0 every policy run trains through S row shards instead
 * ({@link ShardedRun}; the reference stays one table): its bytes are the shards' sum, read after every
 * request a shard handled; a mode row shards do not run ({@link ShardPolicies#SUPPORTED}) is reported
 * as {@code skipped: ...}.
 */
public final class CompressionBench {

    /** Every mode name the bench accepts (some may be unavailable in this build). */
    public static final List<String> KNOWN_MODES = List.of("hash", "adaembed", "fiited-manual", "fiited-adaptive",
            "fiited-2d", "esapn", "precision", "all");

    /** The modes run by default. */
    public static final List<String> DEFAULT_MODES = List.of("hash", "adaembed", "fiited-manual", "fiited-adaptive",
            "esapn", "precision", "all");

    /** Settings the bench itself varies: not accepted from {@code --set}. */
    public static final List<String> OWN_KEYS = List.of(PolicySettings.MODE, PolicySettings.BUDGET_BYTES,
            InflightConfig.MODEL_TYPE, InflightConfig.MODEL_FIELDS, InflightConfig.BATCH_SIZE,
            InflightConfig.TOPOLOGY_SHARDS, InflightConfig.TOPOLOGY_SHARD_WINDOW, InflightConfig.TOPOLOGY_SHARD_CACHE_ROWS);

    /**
     * A stream: its name, its categorical and numeric fields, and a fresh iterator over its events
     * for every run (a generated stream is generated again; a log is read once and kept).
     */
    public record Stream(String name, String description, List<String> fields, List<String> numeric, long events,
                         Supplier<Iterator<ClickEvent>> open) {
    }

    /**
     * What every run shares.
     *
     * @param passes      target number of policy passes per run: {@code inflight.policy.interval.steps} is
     *                    set to {@code max(1, steps / passes)} unless given with {@code --set}
     * @param shards      0: every run over one table; S > 0: every policy run through S row shards
     *                    ({@link ShardedRun}), the reference still over one table
     * @param shardWindow W of the row shards (with {@code shards} > 0)
     */
    public record Options(List<String> models, List<String> modes, List<Integer> divisors, int batch, int dim,
                          String chunks, List<Integer> hidden, int passes, Map<String, String> extra, int shards,
                          int shardWindow) {

        /** Every run over one table. */
        public Options(List<String> models, List<String> modes, List<Integer> divisors, int batch, int dim,
                       String chunks, List<Integer> hidden, int passes, Map<String, String> extra) {
            this(models, modes, divisors, batch, dim, chunks, hidden, passes, extra, 0, 0);
        }
    }

    /**
     * One run; {@code status} is {@code ok}, {@code unavailable} or {@code failed: ...};
     * {@code deltaAucSe} is the standard error of {@link #deltaAuc} by DeLong's paired test against the
     * reference's scores of the same events ({@link PairedAuc}; NaN for the reference and when unknown);
     * {@code seed} the one {@code --seeds} gave the run ({@code inflight.seed} and {@code inflight.policy.seed}),
     * null when the run used the configured seeds. A run through row shards ({@link ShardedRun}) has
     * {@code shards} S > 0 and {@code shardWindow} W; its bytes and passes are the shards' sums, and
     * {@code shardPeakShare} is the largest single shard's peak over its share of the budget (NaN
     * otherwise); {@code status} {@code skipped: ...} when row shards do not run the mode.
     */
    public record Run(String stream, String model, String mode, int divisor, long budgetBytes, long referenceBytes,
                      long peakBytes, long finalBytes, double meanBytes, long steps, long passes, long stepsOverBudget,
                      long intervalSteps, ProgressiveMetrics.Summary metrics, double referenceAuc, double eventsPerSecond,
                      double seconds, String status, double passShare, double deltaAucSe, Long seed, int shards,
                      int shardWindow, double shardPeakShare) {

        /** A run over one table. */
        public Run(String stream, String model, String mode, int divisor, long budgetBytes, long referenceBytes,
                   long peakBytes, long finalBytes, double meanBytes, long steps, long passes, long stepsOverBudget,
                   long intervalSteps, ProgressiveMetrics.Summary metrics, double referenceAuc, double eventsPerSecond,
                   double seconds, String status, double passShare, double deltaAucSe, Long seed) {
            this(stream, model, mode, divisor, budgetBytes, referenceBytes, peakBytes, finalBytes, meanBytes, steps, passes,
                    stepsOverBudget, intervalSteps, metrics, referenceAuc, eventsPerSecond, seconds, status, passShare,
                    deltaAucSe, seed, 0, 0, Double.NaN);
        }

        public boolean ok() {
            return status.equals("ok");
        }

        public boolean reference() {
            return mode.equals("none");
        }

        public double auc() {
            return metrics == null ? Double.NaN : metrics.auc();
        }

        public double deltaAuc() {
            return auc() - referenceAuc;
        }

        /** Reference final bytes / final bytes. */
        public double compression() {
            return ok() && finalBytes > 0 ? (double) referenceBytes / finalBytes : Double.NaN;
        }

        public double peakOverBudget() {
            return ok() && budgetBytes > 0 ? (double) peakBytes / budgetBytes : Double.NaN;
        }

        public String budgetLabel() {
            return divisor == 0 ? "-" : "1/" + divisor;
        }
    }

    private CompressionBench() {
    }

    /**
     * The teacher stream with drift: {@code fields} fields with cardinalities cycling 10 to 1,000,000
     * ({@link TrainerBench#spec}), the hot set and the teacher moving at 1/4, 1/2 and 3/4 of the events.
     */
    public static Stream generated(long events, int fields, long seed) {
        GeneratorSpec base = TrainerBench.spec(events, fields, seed);
        List<Long> drift = new ArrayList<>();
        for (int q = 1; q <= 3; q++) {
            long at = events * q / 4;
            if (at >= 1 && (drift.isEmpty() || at > drift.get(drift.size() - 1))) {
                drift.add(at);
            }
        }
        GeneratorSpec spec = new GeneratorSpec(events, base.cardinalities(), base.zipfExponents(), base.latentDim(),
                base.targetCtr(), base.labelNoise(), drift, seed, base.startTimeMs(), base.intervalMs());
        Supplier<Iterator<ClickEvent>> open = () -> new SyntheticStream(spec).events();
        return new Stream("generated", String.format(Locale.ROOT, "%,d events x %d fields, drift at %s", events, fields,
                drift), TrainerBench.fieldNames(fields), List.of(), events, open);
    }

    /** A stream over events held in memory (a log, read once). */
    public static Stream of(String name, String description, List<ClickEvent> events) {
        List<ClickEvent> kept = List.copyOf(events);
        return new Stream(name, description, BaselinesBench.fields(kept), BaselinesBench.numerics(kept), kept.size(),
                kept::iterator);
    }

    /** The policy interval of a run over {@code events} events: about {@code passes} passes per run. */
    public static long intervalSteps(long events, int batch, int passes) {
        long steps = (events + batch - 1) / batch;
        return Math.max(1, steps / Math.max(1, passes));
    }

    /** Whether this build's {@link PolicyMode} knows {@code mode}. */
    public static boolean available(String mode) {
        try {
            PolicyMode.parse(mode);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Runs the reference and every mode x budget of every model on {@code stream}; progress on {@code log}. */
    public static List<Run> run(Stream stream, Options o, PrintStream log) {
        return run(stream, o, log, r -> { });
    }

    /** As above, handing each run to {@code done} as soon as it is measured. */
    public static List<Run> run(Stream stream, Options o, PrintStream log, Consumer<Run> done) {
        List<Run> runs = new ArrayList<>();
        long interval = o.extra().containsKey(PolicySettings.INTERVAL_STEPS)
                ? Long.parseLong(o.extra().get(PolicySettings.INTERVAL_STEPS).trim())
                : intervalSteps(stream.events(), o.batch(), o.passes());
        log.printf(Locale.ROOT, "[compression] %s: %s; batch %d, a policy pass every %d steps (%d steps per run)%s%n",
                stream.name(), stream.description(), o.batch(), interval, (stream.events() + o.batch() - 1) / o.batch(),
                o.shards() == 0 ? "" : String.format(Locale.ROOT, "; policy runs through %d row shards, window %d (the "
                        + "reference over one table)", o.shards(), o.shardWindow()));
        for (String model : o.models()) {
            PairedAuc.Scores refScores = new PairedAuc.Scores();
            Run ref = one(stream, model, "none", 0, 0, 0, Double.NaN, interval, o, log, refScores, null);
            if (!ref.ok()) {
                runs.add(ref);
                done.accept(ref);
                continue;
            }
            long refBytes = ref.finalBytes();
            double refAuc = ref.auc();
            ref = withReference(ref, refBytes, refAuc);
            runs.add(ref);
            done.accept(ref);
            for (int divisor : o.divisors()) {
                long budget = refBytes / divisor;
                for (String mode : o.modes()) {
                    Run r = one(stream, model, mode, divisor, budget, refBytes, refAuc, interval, o, log, null, refScores);
                    runs.add(r);
                    done.accept(r);
                }
            }
        }
        return runs;
    }

    private static Run withReference(Run r, long refBytes, double refAuc) {
        return new Run(r.stream(), r.model(), r.mode(), r.divisor(), r.budgetBytes(), refBytes, r.peakBytes(),
                r.finalBytes(), r.meanBytes(), r.steps(), r.passes(), r.stepsOverBudget(), r.intervalSteps(), r.metrics(),
                refAuc, r.eventsPerSecond(), r.seconds(), r.status(), r.passShare(), Double.NaN, r.seed());
    }

    /** The settings of a run of {@code model} on a one-field stream: to validate {@code o} before running. */
    public static Map<String, String> configFor(Options o, String model) {
        Stream probe = new Stream("probe", "", List.of("f0"), List.of(), 1, List.<ClickEvent>of()::iterator);
        return config(probe, model, "none", 0, 1, o);
    }

    /** The trainer settings of one run: the bench's, then {@code --set}, then the run's mode and budget. */
    static Map<String, String> config(Stream stream, String model, String mode, long budget, long interval, Options o) {
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put(InflightConfig.BOOTSTRAP_SERVERS, "localhost:9092"); // required by the parser, never used
        cfg.put(InflightConfig.MODEL_DIM, Integer.toString(o.dim()));
        cfg.put(InflightConfig.MODEL_HIDDEN, o.hidden().stream().map(String::valueOf).collect(Collectors.joining(",")));
        cfg.put(InflightConfig.STORE_CHUNKS, o.chunks());
        cfg.put(PolicySettings.INTERVAL_STEPS, Long.toString(interval));
        cfg.putAll(o.extra());
        cfg.put(InflightConfig.MODEL_TYPE, model);
        cfg.put(InflightConfig.MODEL_FIELDS, String.join(",", stream.fields()));
        boolean dense = !model.equals("lr") && !model.equals("fm");
        if (dense && !stream.numeric().isEmpty()) {
            cfg.put(InflightConfig.MODEL_NUMERIC_FIELDS, String.join(",", stream.numeric()));
        }
        cfg.put(InflightConfig.BATCH_SIZE, Integer.toString(o.batch()));
        cfg.put(PolicySettings.MODE, mode);
        cfg.put(PolicySettings.BUDGET_BYTES, Long.toString(budget));
        return cfg;
    }

    /**
     * One run; its scores go to {@code scores} (the reference's, to compare the others with) or, when
     * null, are compared with {@code refScores} (null: no standard error).
     */
    private static Run one(Stream stream, String model, String mode, int divisor, long budget, long refBytes,
                           double refAuc, long interval, Options o, PrintStream log, PairedAuc.Scores scores,
                           PairedAuc.Scores refScores) {
        String label = String.format(Locale.ROOT, "%s %s %s %s", stream.name(), model, mode,
                divisor == 0 ? "unlimited" : "1/" + divisor);
        if (!available(mode)) {
            log.printf(Locale.ROOT, "[compression] %-48s unavailable (this build's PolicyMode does not know '%s')%n", label,
                    mode);
            return new Run(stream.name(), model, mode, divisor, budget, refBytes, 0, 0, Double.NaN, 0, 0, 0, interval,
                    null, refAuc, Double.NaN, 0, "unavailable", Double.NaN, Double.NaN, seedOf(o));
        }
        int sh = o.shards() > 0 && !mode.equals("none") ? o.shards() : 0; // the reference is one table
        int sw = sh > 0 ? o.shardWindow() : 0;
        if (sh > 0 && !ShardPolicies.SUPPORTED.contains(PolicyMode.parse(mode))) {
            String why = "skipped: " + ShardPolicies.unsupported(PolicyMode.parse(mode));
            log.printf(Locale.ROOT, "[compression] %-48s %s%n", label, why);
            return new Run(stream.name(), model, mode, divisor, budget, refBytes, 0, 0, Double.NaN, 0, 0, 0, interval,
                    null, refAuc, Double.NaN, 0, why, Double.NaN, Double.NaN, seedOf(o), sh, sw, Double.NaN);
        }
        long[] peak = {0};
        double[] sum = {0};
        long[] count = {0};
        long[] over = {0};
        long[] passes = {0};
        long[] last = {0};
        long[] steps = {0};
        long[] passNanos = {0};
        long[] stepSeen = {0};
        InProcessRun.StepObserver observer = (step, events, rows, afterPass) -> {
            long now = System.nanoTime(); // a pass runs between a step's observation and its own
            long bytes = rows.storedBytes();
            last[0] = bytes;
            steps[0] = step;
            if (afterPass) {
                passes[0]++;
                passNanos[0] += now - stepSeen[0];
                return;
            }
            stepSeen[0] = System.nanoTime();
            peak[0] = Math.max(peak[0], bytes);
            sum[0] += bytes;
            count[0]++;
            if (budget > 0 && bytes > budget) {
                over[0]++;
            }
        };
        long t0 = System.nanoTime();
        InflightConfig cfg;
        try {
            // a budget the configuration refuses (e.g. below one event's rows) is a failed run, not a failed bench
            cfg = InflightConfig.parse(config(stream, model, mode, budget, interval, o));
        } catch (RuntimeException e) {
            log.printf(Locale.ROOT, "[compression] %-48s REFUSED: %s%n", label, e.getMessage());
            return new Run(stream.name(), model, mode, divisor, budget, refBytes, 0, 0, Double.NaN, 0, 0, 0, interval,
                    null, refAuc, Double.NaN, 0, "failed: " + e.getMessage(), Double.NaN, Double.NaN,
                    seedOf(o), sh, sw, Double.NaN);
        }
        BatchSettings settings = cfg.batchSettings();
        PairedAuc.Scores own = scores != null ? scores : new PairedAuc.Scores();
        try (BatchModel m = BatchModels.create(settings)) {
            StoreConfig store = cfg.storeConfig(settings).withHotCapacity(InProcessRun.MAX_ROWS);
            if (sh > 0) {
                ShardedRun.Result r = ShardedRun.run(settings, store, cfg.policySettings(), m, stream.open().get(), 4096,
                        sh, sw, own);
                Run run = new Run(stream.name(), model, mode, divisor, budget, refBytes, r.peakBytes(), r.finalBytes(),
                        r.meanBytes(), r.steps(), r.passes(), r.stepsOverBudget(), interval, r.run().metrics(), refAuc,
                        r.run().eventsPerSecond(), (System.nanoTime() - t0) / 1e9, "ok",
                        r.run().seconds() > 0 ? r.passSeconds() / r.run().seconds() : Double.NaN,
                        refScores == null ? Double.NaN : PairedAuc.compare(refScores, own).se(), seedOf(o), sh, sw,
                        r.shardPeakShare());
                log.printf(Locale.ROOT, "[compression] %-48s AUC %.4f  final %,d B  peak %,d B  %,.0f ev/s  %.1f s  "
                        + "%d shards: largest shard peak/share %.3f, %d passes, %d rows evicted between passes, %d requests "
                        + "leaving a shard above its share%n", label, run.auc(), run.finalBytes(), run.peakBytes(),
                        run.eventsPerSecond(), run.seconds(), sh, run.shardPeakShare(), run.passes(), r.victimEvictions(),
                        r.overShare());
                return run;
            }
            InProcessRun.Result r = InProcessRun.run(settings, store, cfg.policySettings(), m, stream.open().get(), 4096, 0,
                    observer, own);
            Run run = new Run(stream.name(), model, mode, divisor, budget, refBytes, peak[0], last[0],
                    count[0] == 0 ? 0 : sum[0] / count[0], steps[0], passes[0], over[0], interval, r.metrics(), refAuc,
                    r.eventsPerSecond(), (System.nanoTime() - t0) / 1e9, "ok",
                    r.seconds() > 0 ? passNanos[0] / 1e9 / r.seconds() : Double.NaN,
                    refScores == null ? Double.NaN : PairedAuc.compare(refScores, own).se(), seedOf(o));
            log.printf(Locale.ROOT, "[compression] %-48s AUC %.4f  final %,d B  peak %,d B  %,.0f ev/s  %.1f s%n", label,
                    run.auc(), run.finalBytes(), run.peakBytes(), run.eventsPerSecond(), run.seconds());
            return run;
        } catch (RuntimeException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            log.printf(Locale.ROOT, "[compression] %-48s FAILED: %s%n", label, msg);
            return new Run(stream.name(), model, mode, divisor, budget, refBytes, 0, 0, Double.NaN, 0, 0, 0, interval,
                    null, refAuc, Double.NaN, (System.nanoTime() - t0) / 1e9, "failed: " + msg, Double.NaN, Double.NaN, seedOf(o),
                    sh, sw, Double.NaN);
        }
    }

    /** The seed {@code o} sets for its runs ({@code --seeds}), null when it sets none. */
    static Long seedOf(Options o) {
        String s = o.extra().get(InflightConfig.SEED);
        return s == null || !s.trim().equals(o.extra().get(PolicySettings.SEED)) ? null : Long.valueOf(s.trim());
    }

    /** {@code o} with both seeds (the model's and the policies') set to {@code seed}. */
    public static Options withSeed(Options o, long seed) {
        Map<String, String> extra = new LinkedHashMap<>(o.extra());
        extra.put(InflightConfig.SEED, Long.toString(seed));
        extra.put(PolicySettings.SEED, Long.toString(seed));
        return new Options(o.models(), o.modes(), o.divisors(), o.batch(), o.dim(), o.chunks(), o.hidden(), o.passes(),
                extra, o.shards(), o.shardWindow());
    }

    /**
     * The runs of several seeds as one run per stream, model, mode and budget (in the order they first
     * ran): mean AUC, reference AUC, ΔAUC, its standard error, bytes, compression and speed; the largest
     * peak and pass share. Runs of one seed each come back as they are.
     */
    public static List<Run> meanOverSeeds(List<Run> runs) {
        Map<String, List<Run>> cells = new LinkedHashMap<>();
        for (Run r : runs) {
            cells.computeIfAbsent(r.stream() + "|" + r.model() + "|" + r.mode() + "|" + r.divisor(), k -> new ArrayList<>())
                    .add(r);
        }
        if (cells.values().stream().allMatch(c -> c.size() == 1)) {
            return runs;
        }
        List<Run> out = new ArrayList<>();
        for (List<Run> c : cells.values()) {
            List<Run> ok = c.stream().filter(Run::ok).toList();
            if (ok.isEmpty()) {
                out.add(c.get(0));
                continue;
            }
            Run f = ok.get(0);
            ProgressiveMetrics.Summary m = new ProgressiveMetrics.Summary(f.metrics().events(), 0,
                    mean(ok, Run::auc), mean(ok, r -> r.metrics().logLoss()), mean(ok, r -> r.metrics().ne()),
                    Double.NaN, Double.NaN, Double.NaN);
            out.add(new Run(f.stream(), f.model(), f.mode(), f.divisor(), f.budgetBytes(), Math.round(mean(ok,
                    r -> r.referenceBytes())), ok.stream().mapToLong(Run::peakBytes).max().orElse(0),
                    Math.round(mean(ok, r -> r.finalBytes())), mean(ok, Run::meanBytes), f.steps(), f.passes(),
                    ok.stream().mapToLong(Run::stepsOverBudget).max().orElse(0), f.intervalSteps(), m,
                    mean(ok, Run::referenceAuc), mean(ok, Run::eventsPerSecond), mean(ok, Run::seconds), "ok",
                    ok.stream().mapToDouble(Run::passShare).max().orElse(Double.NaN), mean(ok, Run::deltaAucSe), null,
                    f.shards(), f.shardWindow(), ok.stream().mapToDouble(Run::shardPeakShare).max().orElse(Double.NaN)));
        }
        return out;
    }

    private static double mean(List<Run> runs, ToDoubleFunction<Run> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }
}
