package io.inflight.ops.bench;

import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.policies.sim.SimTable;
import io.inflight.policies.util.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The policies benchmark: drives a {@link SimTable} with a generated click stream and each policy
 * mode alone and all together at budgets of 1/4, 1/10 and 1/50 of the uncompressed fp32 table, and
 * reports bytes, actions and pass cost. No CLI here: {@code ./inflight bench policies} calls
 * {@link #run(Options)} and prints {@link #table(List)} or {@link Result#toJson()}.
 *
 * <p><b>Stream.</b> Every event has {@code fields} features; a feature's value has Zipf({@code zipf})
 * popularity over {@code keysPerField} values, and every {@code driftEvents} events the popularity
 * ranking shifts by {@code driftShift} values, so the hot set drifts to fresh keys. Each step takes
 * {@code batch} events. Per access the chunk gradient norms are
 * {@code g * sqrt(width/D) / sqrt(1 + c)} for chunk {@code c}, with {@code g} the key's hidden
 * usefulness in [0.2, 1.5] times a uniform factor in [0.5, 1.5). Growth modes observe the features
 * of the first {@code observedEvents} events of each batch with a synthetic loss: a feature seen at
 * least 64 times gains {@code 0.04 * usefulness} per extra chunk, a rarer one loses 0.02 per extra
 * chunk (it overfits), plus noise.
 *
 * <p>The stream ends with a closing pass, so "final" bytes are the bytes after a pass. The
 * uncompressed table is measured by a run in mode {@code none} (every key gets a full fp32
 * row, nothing is removed): its final bytes.
 */
public final class PolicyBench {

    private PolicyBench() {
    }

    /** Benchmark options; {@link #full()} is the reported configuration, {@link #small()} a quick check. */
    public record Options(long events, int fields, int keysPerField, double zipf, int dim, int chunks, int batch,
                          long intervalSteps, float gamma, int sampleSize, long driftEvents, int driftShift,
                          int observedEvents, long seed, List<PolicyMode> modes, List<Integer> budgetDivisors) {

        public Options {
            if (events < 1 || fields < 1 || keysPerField < 2 || batch < 1 || dim % chunks != 0) {
                throw new IllegalArgumentException("bad bench options: events " + events + ", fields " + fields
                        + ", keys " + keysPerField + ", batch " + batch + ", dim " + dim + ", chunks " + chunks);
            }
            modes = List.copyOf(modes);
            budgetDivisors = List.copyOf(budgetDivisors);
        }

        /** 2M events x 26 fields, 100k values per field, D = 64 in 4 chunks, T = 100 steps of 512 events. */
        public static Options full() {
            return new Options(2_000_000, 26, 100_000, 1.1, 64, 4, 512, 100, 0.99f, 4096, 250_000, 5_000, 32, 42,
                    List.of(PolicyMode.ADAEMBED, PolicyMode.FIITED_MANUAL, PolicyMode.FIITED_ADAPTIVE,
                            PolicyMode.FIITED_2D, PolicyMode.ESAPN, PolicyMode.PRECISION, PolicyMode.ALL),
                    List.of(4, 10, 50));
        }

        /** A reduced size for tests: 40k events x 8 fields. */
        public static Options small() {
            return new Options(40_000, 8, 5_000, 1.1, 16, 4, 64, 25, 0.96f, 1024, 10_000, 500, 16, 7,
                    full().modes(), List.of(4, 10, 50));
        }
    }

    /** One run's figures. {@code budgetDivisor} 0 = the unlimited {@code none} run. */
    public record Result(PolicyMode mode, int budgetDivisor, long budgetBytes, long uncompressedBytes,
                         long peakBytes, long finalBytes, long finalRows, long chunksPruned, long chunksReallocated,
                         long rowsEvicted, long rowsAdmitted, long rowsGrown, long promotions, long demotions,
                         long passes, double passMillisPerMillionRows, long stepsOverBudget, long maxOvershootBytes,
                         long slackViolations, double seconds) {

        /** One JSON object on one line. */
        public String toJson() {
            return String.format(Locale.ROOT, "{\"bench\":\"policies\",\"mode\":\"%s\",\"budget_divisor\":%d,"
                    + "\"budget_bytes\":%d,\"uncompressed_bytes\":%d,\"peak_bytes\":%d,\"final_bytes\":%d,"
                    + "\"final_rows\":%d,\"chunks_pruned\":%d,\"chunks_reallocated\":%d,\"rows_evicted\":%d,"
                    + "\"rows_admitted\":%d,\"rows_grown\":%d,\"promotions\":%d,\"demotions\":%d,\"passes\":%d,"
                    + "\"pass_ms_per_million_rows\":%.3f,\"steps_over_budget\":%d,\"max_overshoot_bytes\":%d,"
                    + "\"slack_violations\":%d,\"seconds\":%.2f}",
                    mode.configName(), budgetDivisor, budgetBytes, uncompressedBytes, peakBytes, finalBytes,
                    finalRows, chunksPruned, chunksReallocated, rowsEvicted, rowsAdmitted, rowsGrown, promotions,
                    demotions, passes, passMillisPerMillionRows, stepsOverBudget, maxOvershootBytes, slackViolations,
                    seconds);
        }
    }

    /** Called after every training step of a run (tests check invariants here). */
    @FunctionalInterface
    public interface StepObserver {
        /**
         * @param admittedSinceLastPass rows created since the last pass
         * @param newRowBytes           bytes of one new row
         */
        void afterStep(long step, SimTable table, PolicyRunner runner, long admittedSinceLastPass, long newRowBytes);
    }

    /** The mode {@code none} baseline, then every mode at every budget. */
    public static List<Result> run(Options o) {
        List<Result> out = new ArrayList<>();
        Result none = runOne(o, PolicyMode.NONE, 0, 0, 0, null);
        out.add(none);
        for (int divisor : o.budgetDivisors()) {
            for (PolicyMode mode : o.modes()) {
                out.add(runOne(o, mode, divisor, none.finalBytes() / divisor, none.finalBytes(), null));
            }
        }
        return out;
    }

    /** One run of {@code mode} with {@code budgetBytes} (0 = unlimited). */
    public static Result runOne(Options o, PolicyMode mode, int divisor, long budgetBytes, long uncompressed,
                                StepObserver observer) {
        long started = System.nanoTime();
        PolicySettings settings = PolicySettings.defaults()
                .with(PolicySettings.MODE, mode.configName())
                .with(PolicySettings.INTERVAL_STEPS, Long.toString(o.intervalSteps()))
                .with(PolicySettings.GAMMA, Float.toString(o.gamma()))
                .with(PolicySettings.SAMPLE_SIZE, Integer.toString(o.sampleSize()))
                .with(PolicySettings.BUDGET_BYTES, Long.toString(budgetBytes))
                .with(PolicySettings.SEED, Long.toString(o.seed()))
                .with(PolicySettings.FIITED2D_COLDSTART_STEPS, Long.toString(o.intervalSteps() * 5));
        int[] widths = new int[o.chunks()];
        Arrays.fill(widths, o.dim() / o.chunks());
        SimTable table = new SimTable(widths, settings.utilityRule(), o.seed());
        PolicyRunner runner = new PolicyRunner(settings, widths, o.fields());
        table.setAllocationPrecision(runner.initialPrecision());

        double[] cdf = zipfCdf(o.keysPerField(), o.zipf());
        float[] norms = new float[o.chunks()];
        float[] chunkShare = new float[o.chunks()];
        for (int c = 0; c < o.chunks(); c++) {
            chunkShare[c] = (float) (Math.sqrt((double) widths[c] / o.dim()) / Math.sqrt(1 + c));
        }
        Precision[] initPrecs = new Precision[o.chunks()];
        long peak = 0;
        long overSteps = 0;
        long maxOver = 0;
        long slackViolations = 0;
        long admittedSincePass = 0;
        long admittedTotal = 0;
        long pruned = 0;
        long reallocated = 0;
        long evicted = 0;
        long grown = 0;
        long promotions = 0;
        long demotions = 0;
        long passes = 0;
        long passNanos = 0;
        long passRows = 0;
        long step = 0;
        long event = 0;
        while (event < o.events()) {
            step++;
            Arrays.fill(initPrecs, runner.initialPrecision());
            long newRowBytes = table.rowBytes(runner.initialMask(), initPrecs);
            int inBatch = (int) Math.min(o.batch(), o.events() - event);
            for (int i = 0; i < inBatch; i++, event++) {
                long shift = (event / o.driftEvents()) * o.driftShift();
                boolean observe = runner.growthEnabled() && i < o.observedEvents();
                for (int f = 0; f < o.fields(); f++) {
                    double u = SplitMix64.unit(SplitMix64.at(o.seed(), event, f)) * cdf[cdf.length - 1];
                    int rank = Arrays.binarySearch(cdf, u);
                    rank = rank < 0 ? -rank - 1 : rank;
                    long value = (rank + shift) % o.keysPerField();
                    long key = ((long) (f + 1) << 32) | value;
                    if (!table.contains(key)) {
                        if (!runner.admit(key)) {
                            continue; // reads as zeros until admitted
                        }
                        table.addRow(key, runner.initialMask(), runner.initialPrecision());
                        admittedSincePass++;
                        admittedTotal++;
                    }
                    double useful = 0.2 + 1.3 * SplitMix64.unit(SplitMix64.mix(key ^ o.seed()));
                    double g = useful * (0.5 + SplitMix64.unit(SplitMix64.at(o.seed() + 1, event, f)));
                    for (int c = 0; c < norms.length; c++) {
                        norms[c] = (float) (g * chunkShare[c]);
                    }
                    table.access(key, step, 1, norms);
                    if (observe) {
                        int mask = table.mask(key);
                        long freq = table.accesses(key);
                        int extra = Math.max(0, Integer.bitCount(mask) - 1);
                        double noise = (SplitMix64.unit(SplitMix64.at(o.seed() + 2, event, f)) - 0.5) * 0.04;
                        double loss = 0.6 + (freq >= 64 ? -0.04 * useful : 0.02) * extra + noise;
                        runner.observeFeature(table, key, f, freq, mask, (float) loss);
                    }
                }
            }
            runner.endBatch();
            long bytes = table.storedBytes();
            peak = Math.max(peak, bytes);
            if (budgetBytes > 0) {
                if (bytes > budgetBytes) {
                    overSteps++;
                    maxOver = Math.max(maxOver, bytes - budgetBytes);
                }
                if (bytes > runner.budget().targetBytes() + admittedSincePass * newRowBytes) {
                    slackViolations++;
                }
            }
            if (observer != null) {
                observer.afterStep(step, table, runner, admittedSincePass, newRowBytes);
            }
            if (runner.isPassDue(step) || event >= o.events()) { // a closing pass ends the stream
                if (runner.needsDimensionImportance()) {
                    feedImportance(runner, widths, chunkShare, o.seed() + step);
                }
                PassReport r = runner.runPass(table, step);
                passes++;
                passNanos += r.durationNanos();
                passRows += r.rowsVisited();
                pruned += r.chunksPruned();
                reallocated += r.chunksReallocated();
                evicted += r.rowsEvicted();
                grown += r.rowsGrown();
                promotions += r.promotions();
                demotions += r.demotions();
                admittedSincePass = 0;
                peak = Math.max(peak, r.bytesBefore());
            }
        }
        grown = runner.growthPolicy().rowsGrown(); // including growth after the last pass
        double perMillion = passRows == 0 ? 0 : passNanos / 1e6 / (passRows / 1e6);
        return new Result(mode, divisor, budgetBytes, uncompressed, peak, table.storedBytes(), table.rowCount(),
                pruned, reallocated, evicted, admittedTotal, grown, promotions, demotions, passes, perMillion,
                overSteps, maxOver, slackViolations, (System.nanoTime() - started) / 1e9);
    }

    /**
     * FIITED-2D needs per-dimension gradient squares; the simulation has no model, so it feeds the
     * expected squared norm per dimension of the gradient model above (chunk c's dimensions carry
     * {@code chunkShare[c]^2 / width} each), with a little noise.
     */
    private static void feedImportance(PolicyRunner runner, int[] widths, float[] chunkShare, long seed) {
        int d = 0;
        for (int c = 0; c < widths.length; c++) {
            for (int i = 0; i < widths[c]; i++, d++) {
                double noise = 0.9 + 0.2 * SplitMix64.unit(SplitMix64.at(seed, d));
                runner.dimensionImportance().add(d, (float) (chunkShare[c] * Math.sqrt(noise / widths[c])));
            }
        }
    }

    private static double[] zipfCdf(int n, double s) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        return cdf;
    }

    /** The results as a fixed-width text table. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-16s %6s %12s %12s %12s %9s %10s %9s %10s %10s %9s %10s %10s %9s %7s%n",
                "mode", "budget", "budget B", "peak B", "final B", "rows", "pruned", "realloc", "evicted",
                "admitted", "grown", "promoted", "demoted", "ms/Mrow", "over"));
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT,
                    "%-16s %6s %12d %12d %12d %9d %10d %9d %10d %10d %9d %10d %10d %9.1f %7d%n",
                    r.mode().configName(), r.budgetDivisor() == 0 ? "-" : "1/" + r.budgetDivisor(), r.budgetBytes(),
                    r.peakBytes(), r.finalBytes(), r.finalRows(), r.chunksPruned(), r.chunksReallocated(),
                    r.rowsEvicted(), r.rowsAdmitted(), r.rowsGrown(), r.promotions(), r.demotions(),
                    r.passMillisPerMillionRows(), r.stepsOverBudget()));
        }
        return sb.toString();
    }

    /** Runs {@link Options#full()} (or {@link Options#small()} with argument {@code small}) and prints both formats. */
    public static void main(String[] args) {
        Options o = args.length > 0 && args[0].equals("small") ? Options.small() : Options.full();
        List<Result> results = new ArrayList<>();
        Result none = runOne(o, PolicyMode.NONE, 0, 0, 0, null);
        results.add(none);
        System.out.println(none.toJson());
        for (int divisor : o.budgetDivisors()) {
            for (PolicyMode mode : o.modes()) {
                Result r = runOne(o, mode, divisor, none.finalBytes() / divisor, none.finalBytes(), null);
                results.add(r);
                System.out.println(r.toJson());
            }
        }
        System.out.print(table(results));
    }
}
