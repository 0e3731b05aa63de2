package io.inflight.ops.train;

import io.inflight.topics.TopicAdmin;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.topology.TrainerTopology;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.BatchModels;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The trainer as a running Kafka Streams application: creates missing topics, starts the topology,
 * and answers "how is it doing" from the committed-state stores (interactive queries).
 * Close it to stop every Streams thread.
 */
public final class TrainerApp implements AutoCloseable {

    private final InflightConfig config;
    private final KafkaStreams streams;

    private TrainerApp(InflightConfig config, KafkaStreams streams) {
        this.config = config;
        this.streams = streams;
    }

    /**
     * Ensures the catalogue's topics exist, then starts the Streams application.
     *
     * @param onFatal called (on a Streams thread) when processing fails for good; the client then
     *                shuts down
     */
    public static TrainerApp start(InflightConfig config, java.util.function.Consumer<Throwable> onFatal) {
        return start(config, onFatal, new SimpleMeterRegistry());
    }

    /** As {@link #start(InflightConfig, java.util.function.Consumer)}, with meters (and Kafka Streams' own) on {@code registry}. */
    public static TrainerApp start(InflightConfig config, java.util.function.Consumer<Throwable> onFatal,
                                   MeterRegistry registry) {
        return start(config, onFatal, registry, BatchModels::create);
    }

    /** As above, with the mini-batch models made by {@code factory} (when {@code inflight.model.fields} is set). */
    public static TrainerApp start(InflightConfig config, java.util.function.Consumer<Throwable> onFatal,
                                   MeterRegistry registry, BatchModelFactory factory) {
        // everything that can fail on the settings first (the topology and its settings are built without side
        // effects), then the topics, then the Streams client (which makes its state directory)
        RecordLimits.maxRequestSize(config.streamsProperties());
        TopicCatalogue topics = config.topics();
        TrainerMeters meters = TrainerMeters.on(registry);
        var batch = config.batchSettings();
        var topology = batch.isPresent()
                ? TrainerTopology.build(topics, config.trainerSettings(), batch.get(), config.storeConfig(batch.get()),
                        config.policySettings(), config.cadenceSettings(), factory, meters)
                : TrainerTopology.build(topics, config.trainerSettings(), meters);
        ensureTopics(config);
        java.util.Properties props = config.streamsProperties();
        try (Admin admin = Admin.create(new HashMap<>(config.kafkaClientConfigs()))) {
            RecordLimits.apply(admin, topics, props);
        }
        KafkaStreams streams = new KafkaStreams(topology, props);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        streams.setUncaughtExceptionHandler(e -> {
            onFatal.accept(e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        return new TrainerApp(config, streams);
    }

    /** Creates the catalogue's missing topics with the {@code kafka.*} client settings. */
    public static void ensureTopics(InflightConfig config) {
        try (Admin admin = Admin.create(new HashMap<>(config.kafkaClientConfigs()))) {
            TopicAdmin.ensureTopics(admin, config.topics().specs(), 60_000);
        }
    }

    /** The running Streams client, for interactive queries. */
    public KafkaStreams streams() {
        return streams;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Progressive metrics over all partitions hosted here, read from the state stores; empty while
     * the stores are not queryable (starting or rebalancing).
     */
    public Optional<ProgressiveMetrics.Summary> summary() {
        return metrics(false);
    }

    /** As {@link #summary()}, over the sliding window of recent events ({@code inflight.metrics.window.events}). */
    public Optional<ProgressiveMetrics.Summary> windowSummary() {
        return metrics(true);
    }

    private Optional<ProgressiveMetrics.Summary> metrics(boolean window) {
        if (config.batchSettings().isPresent()) {
            // the mini-batch trainer stores its metrics at checkpoints only: ask its tasks for the current ones
            return io.inflight.trainer.topology.TrainerTasks.metrics(config.getString(InflightConfig.APPLICATION_ID), window,
                    config.topics().partitions(), java.time.Duration.ofSeconds(10)).map(ProgressiveMetrics::summary);
        }
        int bins = config.trainerSettings().aucBins();
        ProgressiveMetrics total = new ProgressiveMetrics(bins);
        try {
            for (int p = 0; p < config.topics().partitions(); p++) {
                ReadOnlyKeyValueStore<String, byte[]> store = streams.store(StoreQueryParameters
                        .fromNameAndType(TrainerStateStore.STATE, QueryableStoreTypes.<String, byte[]>keyValueStore())
                        .withPartition(p));
                total.merge(window ? TrainerStateStore.loadWindow(store, bins, 10) : TrainerStateStore.loadMetrics(store, bins));
            }
        } catch (InvalidStateStoreException e) {
            return Optional.empty();
        }
        return Optional.of(total.summary());
    }

    /**
     * Hex SHA-256 of the model (rows with optimizer state, dense parameters) of every partition hosted
     * here, partition by partition; empty while the stores are not queryable.
     */
    public Optional<String> modelHash() {
        if (config.batchSettings().isPresent()) {
            // the mini-batch trainer's rows live in a hot tier only its stream thread may read
            return io.inflight.trainer.topology.TrainerTasks.digest(config.getString(InflightConfig.APPLICATION_ID), java.time.Duration.ofSeconds(60))
                    .map(java.util.HexFormat.of()::formatHex);
        }
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            for (int p = 0; p < config.topics().partitions(); p++) {
                ReadOnlyKeyValueStore<Long, byte[]> rows = streams.store(StoreQueryParameters
                        .fromNameAndType(TrainerStateStore.ROWS, QueryableStoreTypes.<Long, byte[]>keyValueStore())
                        .withPartition(p));
                ReadOnlyKeyValueStore<String, byte[]> state = streams.store(StoreQueryParameters
                        .fromNameAndType(TrainerStateStore.STATE, QueryableStoreTypes.<String, byte[]>keyValueStore())
                        .withPartition(p));
                TrainerStateStore.digest(md, rows, state);
            }
            return Optional.of(java.util.HexFormat.of().formatHex(md.digest()));
        } catch (InvalidStateStoreException e) {
            return Optional.empty();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Stops the Streams threads, committing what was processed; waits at most {@code timeout}.
     * A dynamic member leaves the consumer group so its partitions move at once; a static member
     * ({@code inflight.instance.id}) stays, to take them back when it restarts.
     */
    public boolean close(Duration timeout) {
        boolean leave = config.getString(InflightConfig.INSTANCE_ID).isBlank();
        return streams.close(org.apache.kafka.streams.CloseOptions.timeout(timeout).withGroupMembershipOperation(leave
                ? org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                : org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }

    public static Map<String, Object> describe(InflightConfig config) {
        return config.inflightValues();
    }
}
