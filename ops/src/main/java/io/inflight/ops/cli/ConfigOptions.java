package io.inflight.ops.cli;

import io.inflight.trainer.config.InflightConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --config FILE}, {@code --set key=value} and {@code --bootstrap-servers}, shared by the commands that talk to Kafka. */
public final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with inflight.*, kafka.* and streams.* keys.")
    Path configFile;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Override one key, e.g. --set inflight.model.dim=16 (repeatable; wins over --config).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster to use (same as --set kafka.bootstrap.servers=...). "
                    + "Without it, an embedded broker is started.")
    String bootstrapServers;

    /** The merged flat map: file, then overrides, then --bootstrap-servers. */
    public Map<String, String> rawConfig() {
        Map<String, String> all = new LinkedHashMap<>();
        if (configFile != null) {
            all.putAll(PropertiesFiles.load("--config", configFile));
        }
        all.putAll(overrides);
        if (bootstrapServers != null) {
            all.put(InflightConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        }
        return all;
    }

    /** True when the user named a cluster (flag, override or file). */
    public boolean hasBootstrap() {
        return rawConfig().containsKey(InflightConfig.BOOTSTRAP_SERVERS);
    }

    /**
     * Validates everything a trainer start needs before anything is started: the configuration (with a
     * placeholder cluster when none was given) and its state directory ({@code inflight.state.dir}, and
     * the application's directory in it when that exists) and {@code inflight.model.fields}. Prints the configuration's warnings to stderr.
     */
    public InflightConfig checkForTraining() {
        InflightConfig cfg = resolve("127.0.0.1:9092");
        cfg.batchSettings(); // the model's fields: named in the error when missing
        Path state = Path.of(cfg.getString(InflightConfig.STATE_DIR));
        StartChecks.writableDirectory(InflightConfig.STATE_DIR, state);
        Path app = state.resolve(cfg.getString(InflightConfig.APPLICATION_ID));
        if (Files.exists(app)) {
            StartChecks.writableDirectory(InflightConfig.STATE_DIR + " (the application's directory)", app);
        }
        cfg.warnings().forEach(w -> System.err.println("warning: " + w));
        return cfg;
    }

    /** Validates the configuration, with {@code bootstrap} used when none was given. */
    public InflightConfig resolve(String bootstrap) {
        Map<String, String> all = rawConfig();
        all.putIfAbsent(InflightConfig.BOOTSTRAP_SERVERS, bootstrap);
        return InflightConfig.parse(all);
    }
}
