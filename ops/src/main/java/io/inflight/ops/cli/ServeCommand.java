package io.inflight.ops.cli;

import io.inflight.ops.serve.ServeEndpoint;
import io.inflight.ops.serve.ServeMeters;
import io.inflight.ops.status.StatusPages;
import io.inflight.ops.status.StatusSampler;
import io.inflight.ops.train.MetricsEndpoint;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModels;
import io.inflight.ops.snapshot.ModelSnapshot;
import io.inflight.ops.snapshot.SnapshotFile;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"A serving replica: follows <prefix>.model-updates (committed updates only) and scores events "
                + "over HTTP (POST /score, GET /status). Give it the same model settings as the trainer."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "HTTP address (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--model", defaultValue = "0", paramLabel = "PARTITION",
            description = "Which model to serve: 0, the one model of inflight.topology.models=one (the default); with per-partition, "
                    + "the clicks partition whose replica to serve (default: ${DEFAULT-VALUE}).")
    int modelId;

    @Option(names = "--snapshot", paramLabel = "FILE",
            description = "Start from this snapshot (inflight snapshot export), then follow the topic from the offsets it "
                    + "records instead of from the beginning. Its model settings must match this replica's.")
    Path snapshot;

    @Mixin
    HttpServerOptions http;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--max-body-bytes", defaultValue = "" + ServeEndpoint.Options.DEFAULT_MAX_BODY_BYTES,
            description = "Longest /score body; longer gets 413 (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes;

    @Override
    public Integer call() throws Exception {
        // Checked before anything connects: a bad value exits 2 naming the option.
        http.validate(host, port, maxBodyBytes);
        metrics.validate();
        if (modelId < 0) {
            throw new IllegalArgumentException("--model must be a clicks partition (>= 0), got " + modelId);
        }
        if (!config.hasBootstrap()) {
            throw new IllegalArgumentException("serve needs --bootstrap-servers: the cluster the trainer publishes to");
        }
        InflightConfig cfg = config.resolve(null);
        if (!cfg.hasModelFields()) {
            throw new ConfigException(InflightConfig.MODEL_FIELDS, "",
                    "serve replicates the trainer's model: give the same " + InflightConfig.MODEL_FIELDS
                            + " (and model settings) as the trainer");
        }
        BatchSettings settings = cfg.batchSettings();
        ModelSnapshot saved = snapshot == null ? null : SnapshotFile.read(snapshot);
        ServingModel model = new ServingModel(settings, BatchModels::create, modelId);
        if (saved != null) {
            saved.checkShape(cfg, snapshot);
            if (saved.modelId() != modelId || !saved.topic().equals(cfg.topics().modelUpdates())) {
                throw new IllegalArgumentException("the snapshot " + snapshot + " holds model " + saved.modelId() + " of "
                        + saved.topic() + ", this replica serves model " + modelId + " of " + cfg.topics().modelUpdates());
            }
            model.load(saved);
            System.out.printf(Locale.ROOT, "Loaded %s: %,d rows, dense version %d; following from offsets %s%n", snapshot,
                    saved.rows().size(), saved.denseVersion(), saved.offsets());
        }
        try (Shutdown shutdown = new Shutdown();
             MetricsEndpoint metricsEndpoint = metrics.open();
             ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                     model, saved == null ? Map.of() : saved.offsets());
             ServeEndpoint endpoint = new ServeEndpoint(replica, http.endpoint(host, port, maxBodyBytes, cfg.limits()));
             StatusSampler sampler = metricsEndpoint == null ? null : StatusPages.serve(metricsEndpoint,
                     served(replica, endpoint, metricsEndpoint), cfg.inflightValues(), StatusPages.INTERVAL)) {
            System.out.printf(Locale.ROOT, "Serving model %d of %s (%s, D=%d) from %s at http://%s:%d/score (status: /status), "
                            + "%d threads, backlog %d. Ctrl-C to stop.%n", modelId, cfg.topics().modelUpdates(),
                    settings.modelType(), settings.dim(), cfg.bootstrapServers(), host, endpoint.port(), http.threads,
                    http.backlog);
            if (metricsEndpoint != null) {
                System.out.println(MetricsOptions.describe(metricsEndpoint));
            }
            while (!shutdown.awaitRequest(5_000)) {
                if (replica.failure() != null) {
                    throw new IllegalStateException("replica stopped: " + replica.failure(), replica.failure());
                }
                long[] lag = replica.lagPercentiles();
                System.out.printf(Locale.ROOT, "  rows %,d  shared rows %,d of %,d  updates %,d  dense version %d  "
                                + "freshness p50 %d ms, p99 %d ms%n", replica.model().rows(), replica.model().sharedRowsHeld(),
                        replica.model().sharedRows(), replica.applied(), replica.model().denseVersion(), lag[0], lag[1]);
            }
        }
        return 0;
    }

    /** The replica's meters on the metrics endpoint's registry, timing the scoring requests of {@code endpoint}. */
    private static ServeMeters served(ServingReplica replica, ServeEndpoint endpoint, MetricsEndpoint metricsEndpoint) {
        ServeMeters m = ServeMeters.on(replica, metricsEndpoint.registry());
        endpoint.meters(m);
        return m;
    }
}
