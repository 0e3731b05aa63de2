package io.inflight.ops.cli;

import io.inflight.trainer.config.InflightConfig;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
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
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("--config: file not found: " + configFile);
            } catch (IOException e) {
                throw new UncheckedIOException("--config: cannot read " + configFile, e);
            }
            p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k)));
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

    /** Validates the configuration, with {@code bootstrap} used when none was given. */
    public InflightConfig resolve(String bootstrap) {
        Map<String, String> all = rawConfig();
        all.putIfAbsent(InflightConfig.BOOTSTRAP_SERVERS, bootstrap);
        return InflightConfig.parse(all);
    }
}
