package io.inflight.ops.cli;

import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.snapshot.ModelSnapshot;
import io.inflight.ops.snapshot.SnapshotFile;
import io.inflight.ops.snapshot.TopicSnapshot;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "snapshot", mixinStandardHelpOptions = true,
        description = {"Saved models: 'snapshot export' writes one, 'train --from-snapshot' starts a new application from "
                + "it, 'serve --snapshot' starts a replica from it."},
        subcommands = SnapshotCommand.Export.class)
final class SnapshotCommand {

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = {"Writes one model replica (rows with their chunk masks and precisions, dense parameters, "
                    + "shared rows and gates, the settings that shape them, the model-updates offsets it reflects) to a "
                    + "versioned file with a CRC32C checksum.",
                    "Source: <prefix>.model-updates, read from the beginning to its end (committed updates only), so "
                            + "it works while the trainer runs and reflects its last publication. (A stopped "
                            + "application's state directory is not a source yet.) Give the trainer's model settings."})
    static final class Export implements Callable<Integer> {

        @Mixin
        ConfigOptions config;

        @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The snapshot file to write.")
        Path output;

        @Option(names = "--model", defaultValue = "0", paramLabel = "PARTITION",
                description = "Which model to save: 0, the one model of inflight.topology.models=one (the default); with per-partition, "
                    + "the clicks partition whose replica to save (default: ${DEFAULT-VALUE}).")
        int modelId;

        @Option(names = "--timeout", defaultValue = "300", paramLabel = "SECONDS",
                description = "Longest time to read the topic to its end (default: ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        @Override
        public Integer call() {
            if (modelId < 0) {
                throw new IllegalArgumentException("--model must be a clicks partition (>= 0), got " + modelId);
            }
            if (timeoutSeconds < 1) {
                throw new IllegalArgumentException("--timeout must be >= 1, got " + timeoutSeconds);
            }
            if (!config.hasBootstrap()) {
                throw new IllegalArgumentException("snapshot export needs --bootstrap-servers: the cluster the trainer publishes to");
            }
            InflightConfig cfg = config.resolve(null);
            if (!cfg.hasModelFields()) {
                throw new ConfigException(InflightConfig.MODEL_FIELDS, "", "snapshot export reads the trainer's model: give "
                        + "the same " + InflightConfig.MODEL_FIELDS + " (and model settings) as the trainer");
            }
            ModelSnapshot s = TopicSnapshot.read(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                    new ServingModel(cfg.batchSettings(), BatchModels::create, modelId),
                    cfg.getString(InflightConfig.APPLICATION_ID), ModelSnapshot.shapingOf(cfg),
                    Duration.ofSeconds(timeoutSeconds));
            SnapshotFile.write(output, s);
            System.out.printf(Locale.ROOT, "Wrote %s: model %d of %s, %,d rows, %,d dense parameters (version %d), %s, "
                            + "offsets %s%n", output, modelId, s.topic(), s.rows().size(), s.dense().length, s.denseVersion(),
                    s.shared() == null ? "no shared rows" : s.shared().tableRows() + " shared rows", s.offsets());
            return 0;
        }
    }
}
