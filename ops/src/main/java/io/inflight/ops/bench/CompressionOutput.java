package io.inflight.ops.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.ops.bench.CompressionBench.Run;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/** The runs of {@link CompressionBench} as table lines and JSON lines, and back from a JSON line ({@code --replot}). */
public final class CompressionOutput {

    /** What the table's columns mean. */
    public static final String LEGEND = "compr. = reference final bytes / final bytes; dAUC = AUC - reference AUC; "
            + "SE = standard error of dAUC (DeLong, paired with the reference on the same events); pk/bdg = peak / budget; "
            + "over = steps ending above the budget; T = steps between policy passes; S = row shards the run trained "
            + "through (-: one table; bytes are then the shards' sum); shpk = the largest shard's peak / its share of the "
            + "budget (budget / S)";

    private CompressionOutput() {
    }

    public static String header() {
        return String.format(Locale.ROOT, "%-17s %-7s %-16s %-6s %13s %13s %13s %13s %8s %8s %8s %7s %8s %8s %9s %7s %6s %5s %3s %5s",
                "stream", "model", "mode", "budget", "budget B", "peak B", "final B", "mean B", "compr.", "AUC", "dAUC", "SE",
                "logloss", "NE", "ev/s", "pk/bdg", "over", "T", "S", "shpk");
    }

    public static String line(Run r) {
        if (!r.ok()) {
            return String.format(Locale.ROOT, "%-17s %-7s %-16s %-6s %13s  %s", r.stream(), r.model(), r.mode(),
                    r.budgetLabel(), r.budgetBytes() == 0 ? "-" : String.format(Locale.ROOT, "%,d", r.budgetBytes()),
                    r.status());
        }
        ProgressiveMetrics.Summary m = r.metrics();
        return String.format(Locale.ROOT,
                "%-17s %-7s %-16s %-6s %13s %,13d %,13d %,13.0f %8.2f %8.4f %+8.4f %7s %8.4f %8.4f %,9.0f %7s %6d %5d %3s %5s",
                r.stream(), r.model(), r.mode(), r.budgetLabel(),
                r.budgetBytes() == 0 ? "-" : String.format(Locale.ROOT, "%,d", r.budgetBytes()), r.peakBytes(),
                r.finalBytes(), r.meanBytes(), r.compression(), m.auc(), r.deltaAuc(),
                Double.isNaN(r.deltaAucSe()) ? "-" : String.format(Locale.ROOT, "%.4f", r.deltaAucSe()), m.logLoss(), m.ne(),
                r.eventsPerSecond(), r.reference() ? "-" : String.format(Locale.ROOT, "%.2f", r.peakOverBudget()),
                r.stepsOverBudget(), r.intervalSteps(), r.shards() == 0 ? "-" : Integer.toString(r.shards()),
                Double.isNaN(r.shardPeakShare()) ? "-" : String.format(Locale.ROOT, "%.2f", r.shardPeakShare()));
    }

    public static String table(List<Run> runs) {
        StringBuilder b = new StringBuilder(header()).append('\n');
        runs.forEach(r -> b.append(line(r)).append('\n'));
        return b.append(LEGEND).toString();
    }

    /**
     * One JSON object per run; {@code shards} is 0 for a run over one table (then {@code shard_window}
     * and {@code shard_peak_share} are null).
     */
    public static String json(Run r) {
        ProgressiveMetrics.Summary m = r.metrics();
        return String.format(Locale.ROOT, "{\"stream\":\"%s\",\"model\":\"%s\",\"mode\":\"%s\",\"status\":\"%s\","
                        + "\"budget_divisor\":%d,\"budget_bytes\":%d,\"peak_bytes\":%d,\"final_bytes\":%d,\"mean_bytes\":%s,"
                        + "\"reference_bytes\":%d,\"compression\":%s,\"auc\":%s,\"delta_auc\":%s,\"logloss\":%s,\"ne\":%s,"
                        + "\"events\":%d,\"events_per_s\":%s,\"peak_over_budget\":%s,\"steps\":%d,\"passes\":%d,"
                        + "\"steps_over_budget\":%d,\"interval_steps\":%d,\"pass_share\":%s,\"delta_auc_se\":%s,"
                        + "\"shards\":%d,\"shard_window\":%s,\"shard_peak_share\":%s,\"seed\":%s}",
                r.stream(), r.model(), r.mode(), r.status().replace("\\", "\\\\").replace("\"", "\\\""), r.divisor(),
                r.budgetBytes(), r.peakBytes(), r.finalBytes(), num(r.meanBytes(), "%.0f"), r.referenceBytes(),
                num(r.compression(), "%.4f"), num(r.auc(), "%.5f"), num(r.deltaAuc(), "%.5f"),
                num(m == null ? Double.NaN : m.logLoss(), "%.5f"), num(m == null ? Double.NaN : m.ne(), "%.5f"),
                m == null ? 0 : m.events(), num(r.eventsPerSecond(), "%.0f"), num(r.peakOverBudget(), "%.4f"), r.steps(),
                r.passes(), r.stepsOverBudget(), r.intervalSteps(), num(r.passShare(), "%.4f"),
                num(r.deltaAucSe(), "%.5f"), r.shards(), r.shards() == 0 ? "null" : Integer.toString(r.shardWindow()),
                num(r.shardPeakShare(), "%.4f"), r.seed() == null ? "null" : r.seed().toString());
    }

    /** A run back from its {@link #json} line (for {@code --replot}); figures the line does not carry are NaN. */
    public static Run fromJson(String line) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a JSON line of bench compression: " + e.getMessage(), e);
        }
        if (n == null || !n.has("stream") || !n.has("mode") || !n.has("status")) {
            throw new IllegalArgumentException("not a JSON line of bench compression: " + line);
        }
        String status = n.get("status").asText();
        double auc = dbl(n, "auc");
        double delta = dbl(n, "delta_auc");
        ProgressiveMetrics.Summary m = status.equals("ok") ? new ProgressiveMetrics.Summary(n.path("events").asLong(),
                0, auc, dbl(n, "logloss"), dbl(n, "ne"), Double.NaN, Double.NaN, Double.NaN) : null;
        return new Run(n.get("stream").asText(), n.path("model").asText(), n.get("mode").asText(),
                n.path("budget_divisor").asInt(), n.path("budget_bytes").asLong(), n.path("reference_bytes").asLong(),
                n.path("peak_bytes").asLong(), n.path("final_bytes").asLong(), dbl(n, "mean_bytes"), n.path("steps").asLong(),
                n.path("passes").asLong(), n.path("steps_over_budget").asLong(), n.path("interval_steps").asLong(), m,
                auc - delta, dbl(n, "events_per_s"), Double.NaN, status, dbl(n, "pass_share"), dbl(n, "delta_auc_se"),
                n.hasNonNull("seed") ? n.get("seed").asLong() : null, n.path("shards").asInt(),
                n.path("shard_window").asInt(), dbl(n, "shard_peak_share"));
    }

    private static double dbl(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }

    private static String num(double v, String format) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, format, v) : "null";
    }
}
