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

    @Option(names = "--metrics-port", defaultValue = "-1", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0: any free port; default: off).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        config.resolve("127.0.0.1:9092"); // validate everything before starting anything
        if (progressSeconds < 1) {
            throw new IllegalArgumentException("--progress-interval must be >= 1, got " + progressSeconds);
        }
        try (Shutdown shutdown = new Shutdown()) {
            EmbeddedBroker broker = embedded.startUnless(config);
            try {
                InflightConfig cfg = config.resolve(broker == null ? null : broker.bootstrapServers());
                System.out.println("Training on " + cfg.topics().clicks() + " at " + cfg.bootstrapServers()
                        + embedded.describe(broker));
                System.out.println("Settings: " + cfg.inflightValues());
                System.out.println("Produce events to " + cfg.topics().clicks() + ", e.g. ./inflight generate --topic -b "
                        + cfg.bootstrapServers() + ". Ctrl-C to stop.");
                AtomicReference<Throwable> fatal = new AtomicReference<>();
                MetricsEndpoint endpoint = metricsPort >= 0 ? new MetricsEndpoint("127.0.0.1", metricsPort) : null;
                if (endpoint != null) {
                    System.out.println("Metrics at http://127.0.0.1:" + endpoint.port() + "/metrics");
                }
                try (TrainerApp app = TrainerApp.start(cfg, fatal::set, endpoint != null ? endpoint.registry()
                        : new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
                    var last = new TrainingLoop(app, fatal, System.out, progressSeconds * 1000L).run(shutdown, s -> false, 0);
                    System.out.println("Stopping...");
                    app.close(Duration.ofSeconds(60));
                    last.ifPresent(s -> System.out.println("Summary: " + ProgressLine.summary(s)));
                } finally {
                    if (endpoint != null) {
                        endpoint.close();
                    }
                }
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
        return 0;
    }
}
