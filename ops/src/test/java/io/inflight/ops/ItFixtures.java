package io.inflight.ops;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.trainer.config.InflightConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What the integration tests share besides {@link Await}: their work directories, an embedded broker
 * in one, and a trainer's base settings.
 */
public final class ItFixtures {

    private ItFixtures() {
    }

    /** A test's body on a started embedded broker. */
    @FunctionalInterface
    public interface OnBroker {
        void run(Path dir, EmbeddedBroker broker) throws Exception;
    }

    /**
     * Runs {@code body} with a new work directory {@link #workDir(String) dir} and an embedded broker
     * keeping its data in {@code dir/broker}, closed after the body.
     */
    public static void onBroker(String name, OnBroker body) throws Exception {
        Path dir = workDir(name);
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 0)) {
            body.run(dir, broker);
        }
    }

    /** A new directory {@code target/it/<name>...} for one test's broker, state and files. */
    public static Path workDir(String name) throws IOException {
        return Files.createTempDirectory(Files.createDirectories(Path.of("target", "it")), name);
    }

    /**
     * The settings every trainer of the tests starts from, to add to: {@code broker}'s address, the
     * topics {@code prefix}.*, state in {@code stateDir}.
     */
    public static Map<String, String> trainerSettings(EmbeddedBroker broker, String prefix, Path stateDir) {
        Map<String, String> raw = new HashMap<>();
        raw.put(InflightConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
        raw.put(InflightConfig.TOPIC_PREFIX, prefix);
        raw.put(InflightConfig.STATE_DIR, stateDir.toString());
        return raw;
    }

    /** A stream that prints nothing (for the progress output of generators and benches). */
    public static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream());
    }
}
