package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.DistinctFeatures;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.ops.train.ProgressLine;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.topology.BatchTrainerProcessor;
import io.inflight.trainer.topology.TableStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole pipeline on this machine, from a generated stream to a serving replica, then a summary.",
                "Start an embedded broker, generate a synthetic click "
                + "stream with a hidden teacher, train on it in mini-batches with rows of four chunks under policy mode "
                + "all and a byte budget, publish model updates to a serving replica in this process, print progress "
                + "lines and a summary, stop everything. --set overrides any of the demo's settings."})
final class DemoCommand implements Callable<Integer> {

    @Option(names = {"-n", "--events"}, defaultValue = "300000", description = "Events to generate (default: ${DEFAULT-VALUE}).")
    long events;

    @Mixin
    GeneratorOptions generator;

    @Mixin
    ConfigOptions config;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = ".inflight/demo",
            description = "Broker and state directory, emptied at start (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--follow", description = "Keep training (and the broker) running after the stream is consumed, until Ctrl-C.")
    boolean follow;

    @Option(names = "--progress-interval", defaultValue = "3", paramLabel = "SECONDS",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Option(names = "--budget-fraction", defaultValue = "0.02", paramLabel = "SHARE",
            description = {"Byte budget of the table as a share of what every feature of the generated stream takes "
                    + "stored whole at fp32 (counted while generating); applies when a policy runs and "
                    + "inflight.policy.budget.bytes is not set (default: ${DEFAULT-VALUE})."})
    double budgetFraction;

    @Override
    public Integer call() throws Exception {
        if (config.bootstrapServers != null) {
            throw new IllegalArgumentException("demo always runs on its own embedded broker; for a cluster use "
                    + "'generate --topic -b ...' and 'train -b ...'");
        }
        if (events < 1) {
            throw new IllegalArgumentException("--events must be >= 1, got " + events);
        }
        if (progressSeconds < 1) {
            throw new IllegalArgumentException("--progress-interval must be >= 1, got " + progressSeconds);
        }
        if (!(budgetFraction > 0 && budgetFraction <= 1)) {
            throw new IllegalArgumentException("--budget-fraction must be in (0, 1], got " + budgetFraction);
        }
        // a policy pass every 100 batches logs about ten lines a second: the progress lines sum them up instead
        // (slf4j-simple reads a logger's level when the logger is made, i.e. when the trainer's class loads)
        System.setProperty("org.slf4j.simpleLogger.log." + BatchTrainerProcessor.class.getName(), "warn");
        GeneratorSpec spec = generator.spec(events);
        config.overrides.putIfAbsent(InflightConfig.STATE_DIR, workDir.resolve("state").toString());
        DemoSettings.applyDefaults(config, spec);
        StartChecks.writableDirectory("--work-dir", workDir);
        config.checkForTraining(); // validate before starting (or deleting) anything
        deleteRecursively(workDir);
        long t0 = System.nanoTime();
        try (Shutdown shutdown = new Shutdown()) {
            EmbeddedBroker broker = EmbeddedBroker.start(workDir.resolve("broker"), 0, 0);
            try {
                InflightConfig cfg = config.resolve(broker.bootstrapServers());
                System.out.printf(Locale.ROOT, "Embedded Kafka broker at %s (%.1f s)%n", broker.bootstrapServers(),
                        (System.nanoTime() - t0) / 1e9);
                TrainerApp.ensureTopics(cfg);
                System.out.printf(Locale.ROOT, "Generating %,d events (%d fields, zipf %s, seed %d) into %s%n",
                        events, spec.fields(), spec.zipfExponents(), spec.seed(), cfg.topics().clicks());
                DistinctFeatures stream = new DistinctFeatures(new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks()));
                ProgressiveMetrics.Summary teacher = Generation.run(spec, stream, System.out);
                System.out.printf(Locale.ROOT, "Teacher model's own AUC on this stream (the ceiling): %.4f%n", teacher.auc());
                cfg = DemoSettings.withBudget(config, broker.bootstrapServers(), stream.distinct(), budgetFraction);
                System.out.println(DemoSettings.describe(cfg, stream.distinct()));
                train(cfg, spec, stream, shutdown, t0, teacher, broker.bootstrapServers());
            } finally {
                broker.close();
            }
        }
        return 0;
    }

    private void train(InflightConfig cfg, GeneratorSpec spec, DistinctFeatures stream, Shutdown shutdown, long t0,
                       ProgressiveMetrics.Summary teacher, String bootstrap) throws InterruptedException {
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        long trainStart = System.nanoTime();
        int batchSize = cfg.batchSettings().batchSize();
        // Batches are cut by count: a last partial batch waits for more events.
        long trainable = events - events % batchSize;
        try (ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                new ServingModel(cfg.batchSettings(), BatchModels::create));
             TrainerApp app = TrainerApp.start(cfg, fatal::set)) {
            DemoStatus status = new DemoStatus(cfg.getString(InflightConfig.APPLICATION_ID), stream,
                    cfg.policySettings().budgetBytes(), replica, new SyntheticStream(spec).nextEvent());
            TrainingLoop loop = new TrainingLoop(app, fatal, System.out, progressSeconds * 1000L, status::line);
            if (trainable < events) {
                System.out.printf(Locale.ROOT, "  (%,d events fill whole batches of %d; the last %,d wait for more)%n",
                        trainable, batchSize, events - trainable);
            }
            Optional<ProgressiveMetrics.Summary> last = loop.run(shutdown, s -> s.events() + s.rejected() >= trainable, 120_000);
            double trainSecs = (System.nanoTime() - trainStart) / 1e9;
            if (follow && !shutdown.requested()) {
                System.out.println("Stream consumed. Still training (--follow): produce more with");
                System.out.println("  ./inflight generate --topic -b " + bootstrap + " --seed 7");
                System.out.println("Ctrl-C to stop.");
                last = loop.run(shutdown, s -> false, 0).or(() -> Optional.empty());
            }
            Optional<TableStats> table = status.table();
            boolean caughtUp = table.isPresent() && last.isPresent()
                    && status.awaitReplica(last.get().events() / batchSize, table.get().rows(), Duration.ofSeconds(30));
            String hash = app.modelHash().orElse("unavailable");
            app.close(Duration.ofSeconds(60));
            last.ifPresent(s -> printSummary(s, teacher, trainSecs, (System.nanoTime() - t0) / 1e9));
            if (last.isPresent() && table.isPresent()) {
                System.out.println("  " + status.table(table.get(), last.get().events()));
                System.out.println("  " + TableLine.rows(table.get()));
            }
            System.out.println("  serving " + status.replica() + (caughtUp ? ", caught up with the trainer's last batch"
                    : ", NOT caught up with the trainer's last batch within 30 s"));
            System.out.println("  " + status.sampleScore());
            System.out.println("  model hash (rows, optimizer state, dense): " + hash);
        }
    }

    private static void printSummary(ProgressiveMetrics.Summary s, ProgressiveMetrics.Summary teacher,
                                     double trainSecs, double totalSecs) {
        System.out.println("=== Inflight demo summary ===");
        System.out.println("  " + ProgressLine.summary(s));
        System.out.printf(Locale.ROOT, "  progressive AUC %.4f vs teacher AUC %.4f (ceiling) vs 0.5 (chance)%n",
                s.auc(), teacher.auc());
        System.out.printf(Locale.ROOT, "  training %,.0f events/s end to end (%.1f s); total %.1f s%n",
                s.events() / Math.max(1e-9, trainSecs), trainSecs, totalSecs);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

}
