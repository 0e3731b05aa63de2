package io.inflight.ops.bench;

import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.train.TrainerApp;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Training throughput: the in-process loop ({@link InProcessRun}, no Kafka) against the full Kafka
 * Streams pipeline with exactly-once on a broker, per model and batch size, on the same generated
 * stream ({@code fields} fields, Zipf values).
 */
public final class TrainerBench {

    /** One measured configuration. */
    public record Row(String model, int batch, double inProcessEventsPerSecond, double pipelineEventsPerSecond,
                      double inProcessAuc, double pipelineAuc, double inProcessSteady, double pipelineSteady) {
        public double ratio() {
            return pipelineEventsPerSecond / inProcessEventsPerSecond;
        }

        /** Pipeline / in-process after the warm-up (the first quarter of the events) on both sides. */
        public double steadyRatio() {
            return pipelineSteady / inProcessSteady;
        }
    }

    /** The share of the events both runs treat as warm-up for the steady-state rates. */
    public static final double WARMUP_SHARE = 0.25;

    private final String bootstrap;
    private final Path workDir;
    private final BatchModelFactory factory;
    private final PrintStream out;

    public TrainerBench(String bootstrap, Path workDir, BatchModelFactory factory, PrintStream out) {
        this.bootstrap = bootstrap;
        this.workDir = workDir;
        this.factory = factory;
        this.out = out;
    }

    /** The generated stream: {@code fields} fields with cardinalities cycling 10 to 1,000,000. */
    public static GeneratorSpec spec(long events, int fields, long seed) {
        int[] cards = {10, 100, 1_000, 10_000, 100_000, 1_000_000};
        List<Integer> c = new ArrayList<>();
        for (int f = 0; f < fields; f++) {
            c.add(cards[f % cards.length]);
        }
        GeneratorSpec d = GeneratorSpec.defaults(events, seed);
        return new GeneratorSpec(events, c, d.zipfExponents(), d.latentDim(), d.targetCtr(), 0, List.of(), seed,
                d.startTimeMs(), d.intervalMs());
    }

    public static List<String> fieldNames(int fields) {
        List<String> names = new ArrayList<>();
        for (int f = 0; f < fields; f++) {
            names.add("f" + f);
        }
        return names;
    }

    public List<Row> run(List<String> models, List<Integer> batches, long events, int fields, int dim,
                         List<Integer> hidden, boolean pipeline) throws Exception {
        return run(models, batches, events, fields, dim, hidden, pipeline, Map.of());
    }

    /** As above; {@code extra} settings (e.g. {@code streams.commit.interval.ms}) go to every pipeline run. */
    public List<Row> run(List<String> models, List<Integer> batches, long events, int fields, int dim,
                         List<Integer> hidden, boolean pipeline, Map<String, String> extra) throws Exception {
        GeneratorSpec spec = spec(events, fields, 17);
        String prefix = "bench-trainer-" + Long.toHexString(System.nanoTime());
        if (pipeline) {
            InflightConfig topics = InflightConfig.parse(Map.of(InflightConfig.BOOTSTRAP_SERVERS, bootstrap,
                    InflightConfig.TOPIC_PREFIX, prefix));
            TrainerApp.ensureTopics(topics);
            try (TopicSink sink = new TopicSink(topics.kafkaClientConfigs(), topics.topics().clicks())) {
                SyntheticStream s = new SyntheticStream(spec);
                while (s.hasNext()) {
                    sink.write(s.nextEvent());
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (String model : models) {
            for (int batch : batches) {
                InProcessRun.Result inProcess;
                // Events are generated as the loop reads them (only the training steps are timed), so any
                // number fits in memory, and no event objects are left to slow the pipeline run's GC.
                Iterator<ClickEvent> generated = new SyntheticStream(spec).events();
                // the pipeline's model, store and policy settings (its defaults, then --set), so both sides
                // train the same way (the learning rates default per model type)
                InflightConfig asConfigured = InflightConfig.parse(pipelineConfig(prefix, model, batch, fields, dim, hidden,
                        extra, bootstrap == null ? "localhost:9092" : bootstrap));
                BatchSettings settings = asConfigured.batchSettings();
                try (BatchModel m = factory.create(settings)) {
                    inProcess = InProcessRun.run(settings,
                            asConfigured.storeConfig(settings).withHotCapacity(InProcessRun.MAX_ROWS),
                            asConfigured.policySettings(), m, generated, 4096, (long) (events * WARMUP_SHARE));
                }
                System.gc(); // the in-process run's rows are garbage now: collect them before the pipeline
                out.printf(Locale.ROOT, "  %-7s batch %5d  in-process %,9.0f ev/s  AUC %.4f  (after warm-up %,9.0f ev/s)%n",
                        model, batch, inProcess.eventsPerSecond(), inProcess.metrics().auc(), inProcess.steadyEventsPerSecond());
                double pipelineRate = Double.NaN;
                double pipelineAuc = Double.NaN;
                double pipelineSteady = Double.NaN;
                if (pipeline) {
                    double[] measured = pipeline(InflightConfig.parse(pipelineConfig(prefix, model, batch, fields, dim,
                            hidden, extra, bootstrap)), events - events % batch);
                    pipelineRate = measured[0];
                    pipelineAuc = measured[1];
                    pipelineSteady = measured[2];
                    out.printf(Locale.ROOT, "  %-7s batch %5d  pipeline   %,9.0f ev/s  AUC %.4f  (after warm-up %,9.0f ev/s; "
                                    + "%.2f x in-process, after warm-up %.2f x)%n", model, batch, pipelineRate, pipelineAuc,
                            pipelineSteady, pipelineRate / inProcess.eventsPerSecond(),
                            pipelineSteady / inProcess.steadyEventsPerSecond());
                }
                rows.add(new Row(model, batch, inProcess.eventsPerSecond(), pipelineRate, inProcess.metrics().auc(),
                        pipelineAuc, inProcess.steadyEventsPerSecond(), pipelineSteady));
            }
        }
        return Collections.unmodifiableList(rows);
    }

    /** The settings of the pipeline run of {@code model} at {@code batch}: the bench's, then {@code extra}. */
    private Map<String, String> pipelineConfig(String prefix, String model, int batch, int fields, int dim,
                                               List<Integer> hidden, Map<String, String> extra, String servers) {
        Map<String, String> cfg = new HashMap<>();
        cfg.put(InflightConfig.BOOTSTRAP_SERVERS, servers);
        cfg.put(InflightConfig.TOPIC_PREFIX, prefix);
        cfg.put(InflightConfig.APPLICATION_ID, prefix + "-" + model + "-" + batch);
        cfg.put(InflightConfig.STATE_DIR, workDir.resolve(model + "-" + batch).toString());
        cfg.put(InflightConfig.MODEL_TYPE, model);
        cfg.put(InflightConfig.MODEL_FIELDS, String.join(",", fieldNames(fields)));
        cfg.put(InflightConfig.MODEL_DIM, Integer.toString(dim));
        cfg.put(InflightConfig.BATCH_SIZE, Integer.toString(batch));
        cfg.put(InflightConfig.MODEL_HIDDEN, hidden.stream().map(String::valueOf).collect(Collectors.joining(",")));
        cfg.putAll(extra);
        return cfg;
    }

    /**
     * Events/s from the first trained batch to the last, the final AUC, and events/s after the first
     * {@link #WARMUP_SHARE} of the events.
     */
    private double[] pipeline(InflightConfig cfg, long expected) throws Exception {
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        try (TrainerApp app = TrainerApp.start(cfg, fatal::set, new SimpleMeterRegistry(),
                factory)) {
            long first = 0;
            long firstCount = 0;
            long steady = 0;
            long steadyCount = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
            while (System.nanoTime() < deadline) {
                if (fatal.get() != null) {
                    throw new IllegalStateException("pipeline failed: " + fatal.get(), fatal.get());
                }
                Optional<ProgressiveMetrics.Summary> s = app.state() == KafkaStreams.State.RUNNING ? app.summary()
                        : Optional.empty();
                long now = System.nanoTime();
                if (s.isPresent() && s.get().events() > 0 && first == 0) {
                    first = now;
                    firstCount = s.get().events();
                }
                if (s.isPresent() && s.get().events() >= expected * WARMUP_SHARE && steady == 0) {
                    steady = now;
                    steadyCount = s.get().events();
                }
                if (s.isPresent() && s.get().events() >= expected) {
                    double secs = (now - first) / 1e9;
                    double steadySecs = (now - steady) / 1e9;
                    return new double[] {(s.get().events() - firstCount) / Math.max(1e-9, secs), s.get().auc(),
                            (s.get().events() - steadyCount) / Math.max(1e-9, steadySecs)};
                }
                Thread.sleep(200); // each summary is an interactive query: do not load the trainer
            }
            throw new IllegalStateException("pipeline did not train " + expected + " events in 15 minutes");
        }
    }

    public static String json(List<Row> rows, long events, int fields, int dim) {
        return rows.stream().map(r -> String.format(Locale.ROOT,
                        "{\"model\":\"%s\",\"batch\":%d,\"in_process_eps\":%.0f,\"pipeline_eps\":%.0f,\"ratio\":%.3f,"
                                + "\"in_process_steady_eps\":%.0f,\"pipeline_steady_eps\":%.0f,\"steady_ratio\":%.3f,"
                                + "\"in_process_auc\":%.4f,\"pipeline_auc\":%.4f}",
                        r.model(), r.batch(), r.inProcessEventsPerSecond(), r.pipelineEventsPerSecond(), r.ratio(),
                        r.inProcessSteady(), r.pipelineSteady(), r.steadyRatio(), r.inProcessAuc(), r.pipelineAuc()))
                .collect(Collectors.joining(",", String.format(Locale.ROOT,
                        "{\"bench\":\"trainer\",\"events\":%d,\"fields\":%d,\"dim\":%d,\"runs\":[", events, fields, dim), "]}"));
    }
}
