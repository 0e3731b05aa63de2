package io.inflight.ops.bench;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.MalformedLineException;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.train.InProcessRun;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Uncompressed baselines on the real logs in {@code ../shared/data}: each model at full precision and
 * fixed dimensions, one pass in file order, progressive validation (score, then learn), exactly the
 * training step of the topology ({@link InProcessRun}). The compression results are measured against
 * these figures on the same streams.
 */
public final class BaselinesBench {

    /** A real log: where it is and how to read it. */
    public record Dataset(String name, String path, LogFormat format, LogMapping mapping) {

        LogReader open(Path dataDir) {
            LogFormat.Options o = LogFormat.Options.defaults();
            return format.open(dataDir.resolve(path), mapping == null ? o : o.withMapping(mapping));
        }
    }

    /** The logs the issue names (frappe is not time-ordered, so it is left out of a stream baseline). */
    public static final List<Dataset> DATASETS = List.of(
            new Dataset("criteo-sample", "criteo-sample/train.tsv", LogFormat.CRITEO, null),
            new Dataset("avazu-sample", "avazu-sample/train.csv", LogFormat.AVAZU, null),
            new Dataset("ml-100k", "ml-100k", LogFormat.MOVIELENS, null),
            new Dataset("talkingdata-100k", "talkingdata-100k/train_sample_by_time.csv", LogFormat.CSV,
                    LogMapping.parse(Map.of("label", "is_attributed", "time", "click_time",
                            "time.format", "yyyy-MM-dd HH:mm:ss", "categorical", "ip,app,device,os,channel"))));

    /** One model on one log. */
    public record Row(String dataset, String model, int batch, int fields, ProgressiveMetrics.Summary metrics,
                      double seconds) {
    }

    /** Training settings shared by every run. */
    public record Settings(int dim, int batch, List<Integer> hidden, double denseLearningRate,
                           double embeddingLearningRate, double l2, long seed) {
    }

    private BaselinesBench() {
    }

    /** Reads a whole log (these are small); malformed lines are reported on {@code out} and skipped. */
    public static List<ClickEvent> read(Dataset d, Path dataDir, PrintStream out) {
        List<ClickEvent> events = new ArrayList<>();
        try (LogReader r = d.open(dataDir)) {
            while (true) {
                try {
                    if (!r.hasNext()) {
                        break;
                    }
                    events.add(r.next().event());
                } catch (MalformedLineException e) {
                    out.println("skipped " + e.getMessage());
                }
            }
        }
        return events;
    }

    /** Field names in order of first appearance: the slots of the mini-batch models. */
    public static List<String> fields(List<ClickEvent> events) {
        Set<String> names = new LinkedHashSet<>();
        for (ClickEvent e : events) {
            e.fields().forEach(f -> names.add(f.name()));
        }
        return List.copyOf(names);
    }

    public static List<Row> run(Path dataDir, List<String> datasets, List<String> models, Settings s, PrintStream out) {
        if (!Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("data directory " + dataDir.toAbsolutePath() + " does not exist");
        }
        List<Row> rows = new ArrayList<>();
        for (Dataset d : DATASETS) {
            if (!datasets.contains(d.name())) {
                continue;
            }
            List<ClickEvent> events = read(d, dataDir, out);
            List<String> fields = fields(events);
            for (String model : models) {
                BatchSettings bs = new BatchSettings(model, fields, s.dim(), s.batch(), s.hidden(), "relu", "adam",
                        s.denseLearningRate(), s.embeddingLearningRate(), s.l2(), 0.01, s.seed(), 1);
                try (BatchModel m = BatchModels.create(bs)) {
                    InProcessRun.Result r = InProcessRun.run(bs, m, events.iterator(), 4096);
                    Row row = new Row(d.name(), model, s.batch(), fields.size(), r.metrics(), r.seconds());
                    rows.add(row);
                    out.println(line(row));
                }
            }
        }
        return rows;
    }

    public static String header() {
        return String.format(Locale.ROOT, "%-17s %-7s %6s %7s %9s %8s %8s %8s %7s %8s", "data", "model", "batch", "fields",
                "events", "AUC", "logloss", "NE", "calib", "seconds");
    }

    public static String line(Row r) {
        ProgressiveMetrics.Summary m = r.metrics();
        return String.format(Locale.ROOT, "%-17s %-7s %6d %7d %9d %8.4f %8.4f %8.4f %7.3f %8.2f", r.dataset(), r.model(),
                r.batch(), r.fields(), m.events(), m.auc(), m.logLoss(), m.ne(), m.calibration(), r.seconds());
    }

    public static String json(List<Row> rows, Settings s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "{\"bench\":\"baselines\",\"dim\":%d,\"batch\":%d,\"hidden\":%s,\"runs\":[",
                s.dim(), s.batch(), s.hidden()));
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            ProgressiveMetrics.Summary m = r.metrics();
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"data\":\"%s\",\"model\":\"%s\",\"events\":%d,\"auc\":%.5f,\"logloss\":%.5f,\"ne\":%.5f,"
                            + "\"calibration\":%.4f,\"seconds\":%.3f}",
                    r.dataset(), r.model(), m.events(), m.auc(), m.logLoss(), m.ne(), m.calibration(),
                    r.seconds()));
        }
        return b.append("]}").toString();
    }
}
