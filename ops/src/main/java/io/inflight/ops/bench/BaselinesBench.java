package io.inflight.ops.bench;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.Bucketing;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.MalformedLineException;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.NumericField;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
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
 *
 * <p>Numeric fields of a log (Criteo's I1..I13 with {@link Settings#criteoIntegers()} {@code none}; the
 * other logs carry none) are fed to the dense layers of dnn, deepfm and dcn with the signed log
 * ({@link NumericField.Transform#LOG}); lr and fm, which have no dense layers, train without them.
 */
public final class BaselinesBench {

    /** A real log: where it is and how to read it. */
    public record Dataset(String name, String path, LogFormat format, LogMapping mapping) {

        LogReader open(Path dataDir, Bucketing criteoIntegers) {
            LogFormat.Options d = LogFormat.Options.defaults();
            LogFormat.Options o = new LogFormat.Options(mapping, criteoIntegers, d.libFmFields(), d.startMs(), d.stepMs(),
                    d.limits());
            return format.open(dataDir.resolve(path), o);
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

    /** One model on one log; {@code numeric}: numeric fields fed to its dense layers. */
    public record Row(String dataset, String model, int batch, int fields, int numeric, ProgressiveMetrics.Summary metrics,
                      double seconds) {
    }

    /**
     * Training settings shared by every run.
     *
     * @param criteoIntegers how Criteo's I1..I13 are read: bucketised into categorical fields, or
     *                       {@link Bucketing.None} to keep them numeric (fed to the dense layers)
     */
    public record Settings(int dim, int batch, List<Integer> hidden, double denseLearningRate,
                           double embeddingLearningRate, double l2, long seed, Bucketing criteoIntegers) {
    }

    private BaselinesBench() {
    }

    /** Reads a whole log (these are small); malformed lines are reported on {@code out} and skipped. */
    public static List<ClickEvent> read(Dataset d, Path dataDir, Bucketing criteoIntegers, PrintStream out) {
        List<ClickEvent> events = new ArrayList<>();
        try (LogReader r = d.open(dataDir, criteoIntegers)) {
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

    /** Numeric field names in order of first appearance: the numeric inputs of the dense models. */
    public static List<String> numerics(List<ClickEvent> events) {
        Set<String> names = new LinkedHashSet<>();
        for (ClickEvent e : events) {
            e.numerics().forEach(n -> names.add(n.name()));
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
            List<ClickEvent> events = read(d, dataDir, s.criteoIntegers(), out);
            List<String> fields = fields(events);
            List<NumericField> numeric = numerics(events).stream()
                    .map(n -> new NumericField(n, NumericField.Transform.LOG)).toList();
            for (String model : models) {
                boolean dense = !model.equals("lr") && !model.equals("fm");
                BatchSettings bs = new BatchSettings(model, fields, dense ? numeric : List.of(), s.dim(), s.batch(),
                        s.hidden(), "relu", "adam", s.denseLearningRate(), s.embeddingLearningRate(), s.l2(), 0.01,
                        s.seed(), 1);
                try (BatchModel m = BatchModels.create(bs)) {
                    InProcessRun.Result r = InProcessRun.run(bs, m, events.iterator(), 4096);
                    Row row = new Row(d.name(), model, s.batch(), fields.size(), bs.numericInputs(), r.metrics(),
                            r.seconds());
                    rows.add(row);
                    out.println(line(row));
                }
            }
        }
        return rows;
    }

    public static String header() {
        return String.format(Locale.ROOT, "%-17s %-7s %6s %7s %7s %9s %8s %8s %8s %7s %8s", "data", "model", "batch",
                "fields", "numeric", "events", "AUC", "logloss", "NE", "calib", "seconds");
    }

    public static String line(Row r) {
        ProgressiveMetrics.Summary m = r.metrics();
        return String.format(Locale.ROOT, "%-17s %-7s %6d %7d %7d %9d %8.4f %8.4f %8.4f %7.3f %8.2f", r.dataset(),
                r.model(), r.batch(), r.fields(), r.numeric(), m.events(), m.auc(), m.logLoss(), m.ne(), m.calibration(),
                r.seconds());
    }

    public static String json(List<Row> rows, Settings s) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "{\"bench\":\"baselines\",\"dim\":%d,\"batch\":%d,\"hidden\":%s,"
                        + "\"criteo_integers\":\"%s\",\"runs\":[", s.dim(), s.batch(), s.hidden(), s.criteoIntegers()));
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            ProgressiveMetrics.Summary m = r.metrics();
            b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"data\":\"%s\",\"model\":\"%s\",\"fields\":%d,\"numeric\":%d,\"events\":%d,\"auc\":%.5f,"
                            + "\"logloss\":%.5f,\"ne\":%.5f,\"calibration\":%.4f,\"seconds\":%.3f}",
                    r.dataset(), r.model(), r.fields(), r.numeric(), m.events(), m.auc(), m.logLoss(), m.ne(),
                    m.calibration(), r.seconds()));
        }
        return b.append("]}").toString();
    }
}
