package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a single-node Kafka broker (KRaft) in this process on 127.0.0.1 until Ctrl-C.",
                "Any Kafka client can use it; its data survives restarts in --data-dir."})
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".inflight/broker",
            description = "Log and metadata directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--port", defaultValue = "9092", description = "Client port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", defaultValue = "0",
            description = "KRaft controller port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Override
    public Integer call() throws Exception {
        StartChecks.port("--port", port);
        StartChecks.port("--controller-port", controllerPort);
        StartChecks.writableDirectory("--data-dir", dataDir);
        try (Shutdown shutdown = new Shutdown()) {
            EmbeddedBroker broker = EmbeddedBroker.start(dataDir, port, controllerPort);
            try {
                System.out.println("Kafka broker ready at " + broker.bootstrapServers() + " (data: "
                        + dataDir.toAbsolutePath() + "). Ctrl-C to stop.");
                System.out.println("bootstrap.servers=" + broker.bootstrapServers());
                System.out.flush();
                while (!shutdown.awaitRequest(1_000)) {
                    // Serve until asked to stop.
                }
                System.out.println("Stopping broker...");
            } finally {
                broker.close();
            }
            System.out.println("Broker stopped.");
        }
        return 0;
    }
}
