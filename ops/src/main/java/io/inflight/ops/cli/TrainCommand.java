package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.train.MetricsEndpoint;
import io.inflight.ops.train.ProgressLine;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.config.InflightConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run the trainer (a Kafka Streams application) on <prefix>.clicks until Ctrl-C.",
                "Without --bootstrap-servers it starts an embedded broker and prints its address."})
final class TrainCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Mixin
    EmbeddedBrokerOptions embedded;

    @Option(names = "--progress-interval", defaultValue = "5", paramLabel = "SECONDS",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0: any free port; default: off).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        // validate everything before starting anything: no broker, topic or state directory on a bad start
        config.checkForTraining();
        if (progressSeconds < 1) {
            throw new IllegalArgumentException("--progress-interval must be >= 1, got " + progressSeconds);
        }
        if (metricsPort != null) {
            StartChecks.port("--metrics-port", metricsPort);
        }
        embedded.check(config);
        try (Shutdown shutdown = new Shutdown();
             // bound first: a port in use fails before a broker or a topic exists
             MetricsEndpoint endpoint = metricsPort != null ? new MetricsEndpoint("127.0.0.1", metricsPort) : null) {
            EmbeddedBroker broker = embedded.startUnless(config);
            try {
                InflightConfig cfg = config.resolve(broker == null ? null : broker.bootstrapServers());
                System.out.println("Training on " + cfg.topics().clicks() + " at " + cfg.bootstrapServers()
                        + embedded.describe(broker));
                System.out.println("Settings: " + cfg.inflightValues());
                System.out.println("Produce events to " + cfg.topics().clicks() + ", e.g. ./inflight generate --topic -b "
                        + cfg.bootstrapServers() + ". Ctrl-C to stop.");
                AtomicReference<Throwable> fatal = new AtomicReference<>();
                if (endpoint != null) {
                    System.out.println("Metrics at http://127.0.0.1:" + endpoint.port() + "/metrics");
                }
                long t0 = System.nanoTime();
                try (TrainerApp app = TrainerApp.start(cfg, fatal::set, endpoint != null ? endpoint.registry()
                        : new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
                    var last = new TrainingLoop(app, fatal, System.out, progressSeconds * 1000L).run(shutdown, s -> false, 0);
                    System.out.println("Stopping...");
                    // computed on the tasks' own threads, so before the Streams threads stop (as demo does)
                    String hash = app.modelHash().orElse("unavailable");
                    app.close(Duration.ofSeconds(60));
                    System.out.print(summary(last, hash, (System.nanoTime() - t0) / 1e9));
                }
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
        return 0;
    }

    /**
     * What {@code train} prints when it stops: the metrics of the last progress reading (when the stores
     * were ever readable) and the model hash, computed like {@code demo}'s.
     */
    static String summary(java.util.Optional<io.inflight.trainer.metrics.ProgressiveMetrics.Summary> last, String hash,
                          double seconds) {
        StringBuilder sb = new StringBuilder("=== Inflight train summary ===").append(System.lineSeparator());
        sb.append("  ").append(last.map(ProgressLine::summary).orElse("no metrics (the trainer's stores never became readable)"))
                .append(System.lineSeparator());
        sb.append(String.format(java.util.Locale.ROOT, "  trained for %.1f s", seconds)).append(System.lineSeparator());
        sb.append("  model hash (rows, optimizer state, dense): ").append(hash).append(System.lineSeparator());
        return sb.toString();
    }
}
