package io.inflight.ops.bench;

import io.inflight.policies.PolicySettings;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.Bucketing;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.MalformedLineException;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.config.NumericField;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

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
     * @param denseLearningRate     null: each model's default ({@link io.inflight.trainer.config.ModelDefaults})
     * @param embeddingLearningRate null: each model's default
     * @param extra          store, policy and model settings ({@code --set}) applied to every run after the above;
     *                       not {@link #OWN_KEYS}
     */
    public record Settings(int dim, int batch, List<Integer> hidden, Double denseLearningRate,
                           Double embeddingLearningRate, double l2, long seed, Bucketing criteoIntegers,
                           Map<String, String> extra) {
    }

    /** Settings the bench chooses per run (model, fields) or has options for: not accepted in {@link Settings#extra()}. */
    public static final List<String> OWN_KEYS = List.of(InflightConfig.MODEL_TYPE, InflightConfig.MODEL_FIELDS,
            InflightConfig.MODEL_NUMERIC_FIELDS, InflightConfig.MODEL_DIM, InflightConfig.BATCH_SIZE,
            InflightConfig.MODEL_HIDDEN, InflightConfig.DENSE_LEARNING_RATE, InflightConfig.LEARNING_RATE);

    /** What one run trains with: the model, its rows (in memory, up to {@link InProcessRun#MAX_ROWS}) and the policies. */
    public record RunConfig(BatchSettings batch, StoreConfig store, PolicySettings policy) {
    }

    /**
     * The settings of {@code model} over {@code fields} and {@code numeric} (fed to the dense layers of dnn, deepfm
     * and dcn with the signed log): {@code s}, then {@link Settings#extra()}, validated as the trainer validates
     * them; a bad key or value throws ({@link org.apache.kafka.common.config.ConfigException} or
     * {@link IllegalArgumentException}). Without extra settings: full precision, fixed dimension, no policy.
     */
    public static RunConfig config(Settings s, String model, List<String> fields, List<String> numeric) {
        Map<String, String> cfg = new LinkedHashMap<>();
        cfg.put(InflightConfig.BOOTSTRAP_SERVERS, "localhost:9092"); // required by the parser, never used
        cfg.put(InflightConfig.MODEL_DIM, Integer.toString(s.dim()));
        cfg.put(InflightConfig.BATCH_SIZE, Integer.toString(s.batch()));
        cfg.put(InflightConfig.MODEL_HIDDEN, s.hidden().stream().map(String::valueOf).collect(Collectors.joining(",")));
        if (s.denseLearningRate() != null) {
            cfg.put(InflightConfig.DENSE_LEARNING_RATE, Double.toString(s.denseLearningRate()));
        }
        if (s.embeddingLearningRate() != null) {
            cfg.put(InflightConfig.LEARNING_RATE, Double.toString(s.embeddingLearningRate()));
        }
        cfg.put(InflightConfig.L2, Double.toString(s.l2()));
        cfg.put(InflightConfig.SEED, Long.toString(s.seed()));
        cfg.putAll(s.extra());
        cfg.put(InflightConfig.MODEL_TYPE, model);
        cfg.put(InflightConfig.MODEL_FIELDS, String.join(",", fields));
        boolean dense = !model.equals("lr") && !model.equals("fm");
        if (dense && !numeric.isEmpty()) {
            cfg.put(InflightConfig.MODEL_NUMERIC_FIELDS, numeric.stream().map(n -> n + ":log")
                    .collect(Collectors.joining(",")));
        }
        InflightConfig c = InflightConfig.parse(cfg);
        BatchSettings bs = c.batchSettings();
        return new RunConfig(bs, c.storeConfig(bs).withHotCapacity(InProcessRun.MAX_ROWS), c.policySettings());
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

    /**
     * Each model on each of {@code datasets} (read from {@code dataDir}), then on each of {@code logs} (name: its
     * events, read by the caller).
     */
    public static List<Row> run(Path dataDir, List<String> datasets, Map<String, List<ClickEvent>> logs,
                                List<String> models, Settings s, PrintStream out) {
        if (!datasets.isEmpty() && !Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("data directory " + dataDir.toAbsolutePath() + " does not exist");
        }
        List<Row> rows = new ArrayList<>();
        for (Dataset d : DATASETS) {
            if (datasets.contains(d.name())) {
                run(d.name(), read(d, dataDir, s.criteoIntegers(), out), models, s, out, rows);
            }
        }
        logs.forEach((name, events) -> run(name, events, models, s, out, rows));
        return rows;
    }

    private static void run(String name, List<ClickEvent> events, List<String> models, Settings s, PrintStream out,
                            List<Row> rows) {
        List<String> fields = fields(events);
        List<String> numeric = numerics(events);
        for (String model : models) {
            RunConfig c = config(s, model, fields, numeric);
            BatchSettings bs = c.batch();
            try (BatchModel m = BatchModels.create(bs)) {
                InProcessRun.Result r = InProcessRun.run(bs, c.store(), c.policy(), m, events.iterator(), 4096, 0);
                Row row = new Row(name, model, s.batch(), fields.size(), bs.numericInputs(), r.metrics(), r.seconds());
                rows.add(row);
                out.println(line(row));
            }
        }
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
                        + "\"criteo_integers\":\"%s\",\"set\":{%s},\"runs\":[", s.dim(), s.batch(), s.hidden(),
                s.criteoIntegers(), s.extra().entrySet().stream().map(e -> quote(e.getKey()) + ":" + quote(e.getValue()))
                        .collect(Collectors.joining(","))));
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

    private static String quote(String v) {
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
