package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.train.ProgressLine;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
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
        description = {"The whole pipeline on this machine: start an embedded broker, generate a synthetic click",
                "stream with a hidden teacher, train on it with progress lines, print a summary, stop everything."})
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
        config.overrides.putIfAbsent(InflightConfig.STATE_DIR, workDir.resolve("state").toString());
        StartChecks.writableDirectory("--work-dir", workDir);
        config.checkForTraining(); // validate before starting (or deleting) anything
        GeneratorSpec spec = generator.spec(events);
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
                ProgressiveMetrics.Summary teacher = Generation.run(spec,
                        new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks()), System.out);
                System.out.printf(Locale.ROOT, "Teacher model's own AUC on this stream (the ceiling): %.4f%n", teacher.auc());
                System.out.println("Training " + cfg.trainerSettings().modelType() + " (D=" + cfg.trainerSettings().dim()
                        + ") with exactly-once Kafka Streams...");
                AtomicReference<Throwable> fatal = new AtomicReference<>();
                long trainStart = System.nanoTime();
                Optional<ProgressiveMetrics.Summary> last;
                try (TrainerApp app = TrainerApp.start(cfg, fatal::set)) {
                    TrainingLoop loop = new TrainingLoop(app, fatal, System.out, progressSeconds * 1000L);
                    // The mini-batch trainer scores whole batches only: a last partial batch waits for more events.
                    long trainable = cfg.batchSettings().map(b -> events - events % b.batchSize()).orElse(events);
                    if (trainable < events) {
                        System.out.printf(Locale.ROOT, "  (%,d events fill whole batches of %d; the last %,d wait for more)%n",
                                trainable, cfg.batchSettings().get().batchSize(), events - trainable);
                    }
                    last = loop.run(shutdown, s -> s.events() + s.rejected() >= trainable, 120_000);
                    double trainSecs = (System.nanoTime() - trainStart) / 1e9;
                    if (follow && !shutdown.requested()) {
                        System.out.println("Stream consumed. Still training (--follow): produce more with");
                        System.out.println("  ./inflight generate --topic -b " + broker.bootstrapServers() + " --seed 7");
                        System.out.println("Ctrl-C to stop.");
                        last = loop.run(shutdown, s -> false, 0).or(() -> Optional.empty());
                    }
                    String hash = app.modelHash().orElse("unavailable");
                    app.close(Duration.ofSeconds(60));
                    last.ifPresent(s -> printSummary(s, teacher, trainSecs, (System.nanoTime() - t0) / 1e9));
                    System.out.println("  model hash (rows, optimizer state, dense): " + hash);
                }
            } finally {
                broker.close();
            }
        }
        return 0;
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
