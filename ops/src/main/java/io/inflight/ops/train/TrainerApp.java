package io.inflight.ops.train;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.topics.TopicAdmin;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.topology.Faults;
import io.inflight.trainer.topology.TrainerGauges;
import io.inflight.trainer.topology.TrainerTasks;
import io.inflight.trainer.topology.TrainerTopology;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer as a running Kafka Streams application: creates missing topics, starts the topology,
 * and answers "how is it doing" from its tasks ({@link TrainerTasks}).
 * Close it to stop every Streams thread.
 */
public final class TrainerApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainerApp.class);
    /** How the log line of a replaced Streams thread starts. */
    public static final String THREAD_REPLACED = "A Streams thread failed; replacing it";

    private final InflightConfig config;
    private final KafkaStreams streams;
    private final TrainerMeters meters;
    private final TrainerGauges gauges;
    /** The trainer tasks of the application: 1 with one model, else the clicks partitions. */
    private final int trainerTasks;

    private TrainerApp(InflightConfig config, KafkaStreams streams, TrainerMeters meters, TrainerGauges gauges,
                       int trainerTasks) {
        this.trainerTasks = trainerTasks;
        this.config = config;
        this.streams = streams;
        this.meters = meters;
        this.gauges = gauges;
    }

    /**
     * Ensures the catalogue's topics exist, reads the clicks topic's partition count, then starts the
     * Streams application: with {@code inflight.topology.models=one} (the default) and more than one
     * partition, intake tasks and one trainer task ({@link TrainerTopology}), so one model; else a
     * trainer task per partition. Partitions added to the clicks topic later are read at the next start.
     *
     * @param onFatal called (on a Streams thread) when processing fails for good (a Streams thread failed
     *                more often than {@value InflightConfig#THREAD_RESTARTS} allows); the client then shuts down
     */
    public static TrainerApp start(InflightConfig config, Consumer<Throwable> onFatal) {
        return start(config, onFatal, new SimpleMeterRegistry());
    }

    /** As {@link #start(InflightConfig, java.util.function.Consumer)}, with meters (and Kafka Streams' own) on {@code registry}. */
    public static TrainerApp start(InflightConfig config, Consumer<Throwable> onFatal,
                                   MeterRegistry registry) {
        return start(config, onFatal, registry, BatchModels::create);
    }

    /** As above, with the models made by {@code factory}. */
    public static TrainerApp start(InflightConfig config, Consumer<Throwable> onFatal,
                                   MeterRegistry registry, BatchModelFactory factory) {
        return start(config, onFatal, registry, factory, Faults.NONE);
    }

    /** As above, with the processors checking {@code faults} (tests make a record's processing fail there). */
    static TrainerApp start(InflightConfig config, Consumer<Throwable> onFatal, MeterRegistry registry,
                            BatchModelFactory factory, Faults faults) {
        // everything that can fail on the settings first, then the topics, then the topology (it depends on the
        // clicks topic's partition count), then the Streams client (which makes its state directory)
        RecordLimits.maxRequestSize(config.streamsProperties());
        TopicCatalogue topics = config.topics();
        TrainerMeters meters = TrainerMeters.on(registry);
        var batch = config.batchSettings(); // fails naming inflight.model.fields when it is not set
        var store = config.storeConfig(batch);
        var trainer = config.trainerSettings();
        ensureTopics(config);
        Properties props = config.streamsProperties();
        int partitions;
        try (Admin admin = Admin.create(new HashMap<>(config.kafkaClientConfigs()))) {
            RecordLimits.apply(admin, topics, props);
            partitions = clicksPartitions(admin, topics.clicks());
            checkTrainerTasks(admin, config, config.oneModel() ? 1 : partitions);
        }
        // the partition count is read once: partitions added later are trained after a restart
        var topology = config.shards() > 0
                ? TrainerTopology.sharded(topics, trainer, batch, store, config.policySettings(), config.cadenceSettings(),
                        factory, meters,
                        faults, config.shards(), config.shardWindow(), config.shardCacheRows())
                : TrainerTopology.build(topics, trainer, batch, store, config.policySettings(), config.cadenceSettings(),
                        factory, meters, faults, config.oneModel(), partitions);
        int trainerTasks = config.oneModel() ? 1 : partitions;
        TrainerGauges gauges = new TrainerGauges(config.getString(InflightConfig.APPLICATION_ID), trainerTasks,
                store.layout().chunks(), budgetBytes(config), meters, registry);
        KafkaStreams streams = new KafkaStreams(topology, props);
        new KafkaStreamsMetrics(streams).bindTo(registry);
        ThreadRestarts restarts = new ThreadRestarts(config.getInt(InflightConfig.THREAD_RESTARTS),
                TimeUnit.MILLISECONDS.toNanos(config.getLong(InflightConfig.THREAD_RESTARTS_WINDOW_MS)), System::nanoTime);
        streams.setUncaughtExceptionHandler(e -> onThreadFailure(e, restarts, meters, onFatal));
        streams.start();
        return new TrainerApp(config, streams, meters, gauges, trainerTasks);
    }

    /**
     * What a failed Streams thread gets: a replacement while {@code restarts} allows one (its tasks
     * resume from their last commit, exactly-once), else the instance stops and {@code onFatal} hears why.
     */
    static StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onThreadFailure(Throwable e, ThreadRestarts restarts,
                                                                                       TrainerMeters meters,
                                                                                       Consumer<Throwable> onFatal) {
        if (restarts.replace()) {
            meters.threadReplaced();
            LOG.error(THREAD_REPLACED + " ({} of at most {} within {} s, {}): its tasks resume from "
                    + "their last commit", restarts.inWindow(), restarts.max(), Math.round(restarts.windowSeconds()),
                    InflightConfig.THREAD_RESTARTS, e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        LOG.error("A Streams thread failed after {} replacements within {} s ({}): stopping this instance",
                restarts.inWindow(), Math.round(restarts.windowSeconds()), InflightConfig.THREAD_RESTARTS, e);
        onFatal.accept(e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /** The partition count of {@code clicks} as the broker describes it now. */
    public static int clicksPartitions(Admin admin, String clicks) {
        try {
            return admin.describeTopics(List.of(clicks)).allTopicNames().get(60, TimeUnit.SECONDS).get(clicks)
                    .partitions().size();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("describing " + clicks + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + clicks, e);
        }
    }

    /**
     * Refuses to start an application whose trainer state was made for another number of trainer tasks
     * (its trainer-state changelog has a partition per task): Kafka Streams would stop at the first
     * rebalance; this says which setting to change.
     *
     * @throws ConfigException naming {@value InflightConfig#TOPOLOGY_MODELS} and its value
     */
    static void checkTrainerTasks(Admin admin, InflightConfig config, int tasks) {
        String appId = config.getString(InflightConfig.APPLICATION_ID);
        String changelog = appId + "-" + TrainerStateStore.STATE + "-changelog";
        int existing;
        try {
            existing = admin.describeTopics(List.of(changelog)).allTopicNames().get(60, TimeUnit.SECONDS).get(changelog)
                    .partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return; // a new application
            }
            throw new IllegalStateException("describing " + changelog + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("describing " + changelog + " took more than 60 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + changelog, e);
        }
        if (existing != tasks) {
            throw new ConfigException(InflightConfig.TOPOLOGY_MODELS, config.getString(InflightConfig.TOPOLOGY_MODELS),
                    "application " + appId + " has the state of " + existing + " trainer tasks (" + changelog + "), this "
                            + "setting with " + config.topics().clicks() + " needs " + tasks + ": keep the setting the "
                            + "application was trained with, or start a new " + InflightConfig.APPLICATION_ID);
        }
    }

    /** The trainer tasks of the application (1 with {@code inflight.topology.models=one}, else one per clicks partition). */
    public int trainerTasks() {
        return trainerTasks;
    }

    /** The byte budget the policy passes hold the table to, 0 for none (no budget, or mode none: not enforced). */
    public static long budgetBytes(InflightConfig config) {
        PolicySettings p = config.policySettings();
        return p.mode() == PolicyMode.NONE ? 0 : p.budgetBytes();
    }

    /** The meters counted where the work is done (and the recent policy passes). */
    public TrainerMeters meters() {
        return meters;
    }

    /** The sampled gauges: {@link TrainerGauges#sample} reads the tasks and updates them. */
    public TrainerGauges gauges() {
        return gauges;
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
        // the trainer stores its metrics at checkpoints only: ask its tasks for the current ones
        return TrainerTasks.metrics(config.getString(InflightConfig.APPLICATION_ID), window, trainerTasks,
                Duration.ofSeconds(10)).map(ProgressiveMetrics::summary);
    }

    /**
     * Hex SHA-256 of the model (rows with optimizer state, dense parameters, batch count) of every
     * partition hosted here, partition by partition, computed on each task's own thread (its rows
     * live in a hot tier only that thread may read); empty while a task does not answer.
     */
    public Optional<String> modelHash() {
        return TrainerTasks.digest(config.getString(InflightConfig.APPLICATION_ID), Duration.ofSeconds(60))
                .map(HexFormat.of()::formatHex);
    }

    /**
     * Stops the Streams threads, committing what was processed; waits at most {@code timeout}.
     * A dynamic member leaves the consumer group so its partitions move at once; a static member
     * ({@code inflight.instance.id}) stays, to take them back when it restarts.
     */
    public boolean close(Duration timeout) {
        boolean leave = config.getString(InflightConfig.INSTANCE_ID).isBlank();
        return streams.close(CloseOptions.timeout(timeout).withGroupMembershipOperation(leave
                ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(60));
    }

    public static Map<String, Object> describe(InflightConfig config) {
        return config.inflightValues();
    }
}
