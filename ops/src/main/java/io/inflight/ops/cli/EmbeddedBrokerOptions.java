package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The embedded broker a command starts when it is given no {@code --bootstrap-servers}: where it
 * keeps its data and which port it listens on (a picocli mixin, the same for every command).
 */
final class EmbeddedBrokerOptions {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ".inflight/broker",
            description = "Embedded broker's data directory (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--broker-port", defaultValue = "0",
            description = "Embedded broker's client port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int brokerPort;

    /**
     * When {@code config} names no cluster (the broker will be started): the port is a port and the
     * data directory can be written. Starts nothing.
     */
    void check(ConfigOptions config) {
        if (!config.hasBootstrap()) {
            StartChecks.port("--broker-port", brokerPort);
            StartChecks.writableDirectory("--data-dir", dataDir);
        }
    }

    /** Starts the embedded broker, or returns null when {@code config} names a cluster. */
    EmbeddedBroker startUnless(ConfigOptions config) {
        return config.hasBootstrap() ? null : EmbeddedBroker.start(dataDir, brokerPort, 0);
    }

    /** " (embedded broker, data in DIR)" for a started broker, "" otherwise. */
    String describe(EmbeddedBroker broker) {
        return broker == null ? "" : " (embedded broker, data in " + dataDir.toAbsolutePath() + ")";
    }
}
