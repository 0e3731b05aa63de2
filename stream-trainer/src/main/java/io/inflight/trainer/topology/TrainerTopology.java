package io.inflight.trainer.topology;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.store.streams.EmbeddingStores;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.shard.ShardPolicies;
import io.inflight.trainer.shard.ShardProcessor;
import io.inflight.trainer.state.TrainerStateStore;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.internals.InternalTopicProperties;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The trainer's Kafka Streams topology. The <em>direct</em> topology:
 * {@code <prefix>.clicks → trainer → <prefix>.dead-letter, <prefix>.predictions, <prefix>.model-updates}, with the
 * trainer-state store (persistent RocksDB with a changelog), the embedding store (hot tier in front of a
 * logged RocksDB store) and the journal (in memory, with a changelog): one task, hence one model
 * replica, per clicks partition (published under the partition's number).
 *
 * <h2>One model from several partitions</h2>
 * With {@code inflight.topology.models=one} and a clicks topic of more than one partition, two
 * sub-topologies: the <em>intake</em> ({@code <prefix>.clicks → intake → <prefix>.dead-letter,
 * <application.id>-events-repartition}, one stateless task per clicks partition, see
 * {@link IntakeProcessor}) and the <em>trainer</em> ({@code <application.id>-events-repartition → trainer → ...}
 * as above, with its stores), whose one task reads the one-partition events topic and so trains
 * every event into one model, published as model 0 (the key a one-partition topic gives it). The
 * events topic is a Kafka Streams internal repartition topic: created by Streams with one partition
 * and {@code replication.factor} (a Streams setting), purged as the trainer commits, and its writes
 * and the intake's offsets commit in one transaction (exactly-once v2 covers both sub-topologies).
 * The Processor API has no public call to declare an internal topic (the DSL's {@code repartition()}
 * declares its own through {@code InternalTopologyBuilder.addInternalTopic}); this class makes the
 * same call through {@link Topology}'s protected builder. With one clicks partition the direct
 * topology is built: no extra hop, the same model bit for bit as before.
 *
 * <p>Determinism: with one clicks partition, a run is bit-identical across crashes and restarts (the
 * journal). With several, the order in which the intake tasks' transactions interleave in the events
 * topic depends on timing (which task commits first), so two runs over the same clicks may train
 * the events in different orders and end with different models; once an event's place in the
 * events topic is committed it is fixed, and training from the events topic is bit-identical across
 * crashes of the trainer task. Either way every clicks record is trained or dead-lettered exactly
 * once. (A record the trainer itself dead-letters, one that fails training, names the events topic
 * as its source; the intake's dead letters name the clicks topic, partition and offset.) The events
 * topic takes Streams' internal-topic settings ({@code streams.topic.*}, e.g.
 * {@code topic.max.message.bytes} when the clicks topic accepts records above the broker's default).
 * The partition count is read when the application starts: partitions added later are not
 * read until it is restarted (their tasks then join the intake).
 */
public final class TrainerTopology {

    public static final String SOURCE = "clicks-source";
    public static final String TRAINER = "trainer";
    /** The intake processor of the one-model topology and its sinks. */
    public static final String INTAKE = "intake";
    public static final String INTAKE_DEAD_LETTER_SINK = "intake-dead-letter-sink";
    public static final String EVENTS_SINK = "events-sink";
    public static final String EVENTS_SOURCE = "events-source";
    /** The events topic's name in the topology; Kafka Streams names it {@code <application.id>-events-repartition}. */
    public static final String EVENTS_TOPIC = "events-repartition";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    /** Row shards: the requests topic (S partitions) and the replies topic (one per trainer task), internal. */
    public static final String REQUESTS_TOPIC = "row-requests";
    public static final String REPLIES_TOPIC = "row-replies";
    public static final String REQUESTS_SINK = "row-requests-sink";
    /** The sharded trainer's commit hook: an empty, unlogged embedding store whose flush Streams calls before every commit. */
    public static final String COMMIT_HOOK = "inflight-sharded-commit-hook";
    /** The shard tasks' rows and progress stores. */
    public static final String SHARD_EMBEDDINGS = "inflight-shard-embeddings";
    public static final String SHARD_PROGRESS = "inflight-shard-progress";
    public static final String PREDICTIONS_SINK = "predictions-sink";
    public static final String MODEL_UPDATES_SINK = "model-updates-sink";
    /**
     * Streams setting the trainer app sets when a topic's {@code max.message.bytes} is below the
     * producer's {@code max.request.size}: dead letters, journal and checkpoint records are sized to
     * the smaller of the two.
     */
    public static final String MAX_RECORD_BYTES_CONFIG = "inflight.internal.max.record.bytes";
    /** The producer's default {@code max.request.size}. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

    /**
     * The producer's {@code max.request.size} in Streams configuration {@code configs} (the
     * {@code producer.} prefixed setting first), or its default.
     *
     * @throws org.apache.kafka.common.config.ConfigException naming the key when it is not an integer
     */
    public static int maxRequestSize(Map<?, ?> configs) {
        for (String key : new String[] {"producer.max.request.size", "max.request.size"}) {
            Object v = configs.get(key);
            if (v != null) {
                try {
                    return Integer.parseInt(v.toString().trim());
                } catch (NumberFormatException e) {
                    throw new ConfigException("kafka." + key, v,
                            "must be an integer number of bytes");
                }
            }
        }
        return DEFAULT_MAX_REQUEST_SIZE;
    }

    private TrainerTopology() {
    }

    /** The name Kafka Streams gives the events topic of application {@code applicationId}. */
    public static String eventsTopic(String applicationId) {
        return applicationId + "-" + EVENTS_TOPIC;
    }

    /** The field-aware mini-batch trainer with a {@link BatchModel} per task. */
    public static Topology build(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch,
                                 StoreConfig store, BatchModelFactory factory, TrainerMeters meters) {
        return build(topics, settings, batch, store, PolicySettings.defaults().with(PolicySettings.MODE, "none"), factory,
                meters);
    }

    /** As above, with a policy pass every {@code inflight.policy.interval.steps} batches. */
    public static Topology build(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch,
                                 StoreConfig store, PolicySettings policy, BatchModelFactory factory,
                                 TrainerMeters meters) {
        return build(topics, settings, batch, store, policy, CadenceSettings.defaults(), factory, meters);
    }

    /**
     * As above, checkpointing as {@code checkpoint} says. Besides the trainer-state store (written at
     * checkpoints only, so without the record cache) and the embedding store, the task has the
     * journal: an in-memory store with a changelog holding the events applied since the last checkpoint.
     */
    public static Topology build(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch,
                                 StoreConfig store, PolicySettings policy, CadenceSettings checkpoint,
                                 BatchModelFactory factory, TrainerMeters meters) {
        return build(topics, settings, batch, store, policy, checkpoint, factory, meters, Faults.NONE);
    }

    /** As above, with {@code faults} checked at each stage of a record's processing (tests). */
    public static Topology build(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch,
                                 StoreConfig store, PolicySettings policy, CadenceSettings checkpoint,
                                 BatchModelFactory factory, TrainerMeters meters, Faults faults) {
        Topology t = new Topology();
        t.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.clicks());
        return trainer(t, SOURCE, topics, store, () -> new BatchTrainerProcessor(settings, batch, policy, checkpoint,
                factory, meters, faults));
    }

    /**
     * The topology of {@code inflight.topology.models}: with {@code oneModel} and a clicks topic of
     * {@code clicksPartitions} &gt; 1 partitions the intake and trainer sub-topologies (see above),
     * else the direct topology.
     */
    public static Topology build(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch,
                                 StoreConfig store, PolicySettings policy, CadenceSettings checkpoint,
                                 BatchModelFactory factory, TrainerMeters meters, Faults faults, boolean oneModel,
                                 int clicksPartitions) {
        if (!oneModel || clicksPartitions <= 1) {
            return build(topics, settings, batch, store, policy, checkpoint, factory, meters, faults);
        }
        WithInternalTopics t = intake(topics, settings, meters, faults);
        t.addSource(EVENTS_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), EVENTS_TOPIC);
        return trainer(t, EVENTS_SOURCE, topics, store, () -> BatchTrainerProcessor.ofCheckedEvents(settings, batch,
                policy, checkpoint, factory, meters, faults));
    }

    /**
     * The topology of row shards ({@code inflight.topology.shards} = {@code shards} &gt; 0, window
     * {@code window}, the trainer's window cache keeping {@code cacheRows} rows, none beyond the
     * window's when the shards run {@code policy}'s passes, {@link ShardPolicies}): the intake
     * sub-topology as above (whatever the clicks partition count), the trainer sub-topology ({@code events + row-replies → trainer → predictions, dead letters,
     * row-requests}: one task, {@link ShardedTrainerProcessor}) and the shard sub-topology
     * ({@code row-requests → shard → row-replies, model-updates}: one task per shard,
     * {@code ShardProcessor}, each with the rows it owns in an embedding store with a changelog,
     * publishing the rows it changed; the trainer publishes the dense parameters). Both shard topics
     * are internal repartition topics (S and 1 partitions), purged as their readers commit;
     * exactly-once v2 covers all three sub-topologies.
     */
    public static Topology sharded(TopicCatalogue topics, TrainerSettings settings, BatchSettings batch, StoreConfig store,
                                   PolicySettings policy, CadenceSettings cadence, BatchModelFactory factory,
                                   TrainerMeters meters, Faults faults, int shards, int window, long cacheRows) {
        // shards with policies change rows at rest only: the window cache then holds the window's rows, no more
        long cached = policy.mode() == PolicyMode.NONE ? cacheRows : 0;
        WithInternalTopics t = intake(topics, settings, meters, faults);
        t.internalTopic(REQUESTS_TOPIC, shards);
        t.internalTopic(REPLIES_TOPIC, 1);
        t.addSource(EVENTS_SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), EVENTS_TOPIC,
                REPLIES_TOPIC);
        // the trainer holds no table: an empty, unlogged embedding store is its commit hook
        trainer(t, EVENTS_SOURCE, topics, EmbeddingStores.builder(Stores.inMemoryKeyValueStore(COMMIT_HOOK), store)
                .withLoggingDisabled(), () -> new ShardedTrainerProcessor(settings, batch, store, cadence, factory, meters,
                faults, shards, window, cached));
        t.addSink(REQUESTS_SINK, REQUESTS_TOPIC, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                new ShardProcessor.TrainerPartitioner(), TRAINER); // a request's key is its shard's number
        return ShardProcessor.addTo(t, REQUESTS_TOPIC, REPLIES_TOPIC, topics.deadLetter(), topics.modelUpdates(),
                cadence.publishIntervalMs(), SHARD_EMBEDDINGS, SHARD_PROGRESS, store, shards, policy, window);
    }

    /**
     * A topology with the intake sub-topology: {@code clicks → intake → dead letters, events topic} (the
     * one-partition internal events topic declared; its reader is the caller's).
     */
    private static WithInternalTopics intake(TopicCatalogue topics, TrainerSettings settings, TrainerMeters meters,
                                             Faults faults) {
        WithInternalTopics t = new WithInternalTopics();
        t.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.clicks());
        t.addProcessor(INTAKE, () -> new IntakeProcessor(settings, meters, faults), SOURCE);
        t.addSink(INTAKE_DEAD_LETTER_SINK, topics.deadLetter(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), INTAKE);
        t.internalTopic(EVENTS_TOPIC, 1);
        t.addSink(EVENTS_SINK, EVENTS_TOPIC, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), INTAKE);
        return t;
    }

    /** A {@link Topology} that can declare Kafka Streams internal (repartition) topics. */
    private static final class WithInternalTopics extends Topology {
        void internalTopic(String name, int partitions) {
            internalTopologyBuilder.addInternalTopic(name, new InternalTopicProperties(partitions));
        }
    }

    /** Adds the trainer, its stores and its sinks to {@code t}, reading {@code source}. */
    private static Topology trainer(Topology t, String source, TopicCatalogue topics, StoreConfig store,
                                    ProcessorSupplier<byte[], byte[], byte[], byte[]> trainer) {
        return trainer(t, source, topics, EmbeddingStores.builder(TrainerStateStore.EMBEDDINGS, store), trainer);
    }

    /** As above, with {@code rows} as the trainer's embedding store. */
    private static Topology trainer(Topology t, String source, TopicCatalogue topics,
                                    StoreBuilder<EmbeddingStateStore> rows,
                                    ProcessorSupplier<byte[], byte[], byte[], byte[]> trainer) {
        t.addProcessor(TRAINER, trainer, source);
        var state = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TrainerStateStore.STATE), Serdes.String(), Serdes.ByteArray());
        t.addStateStore(state.withCachingDisabled(), TRAINER);
        t.addSink(DEAD_LETTER_SINK, topics.deadLetter(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        t.addSink(PREDICTIONS_SINK, topics.predictions(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        t.addSink(MODEL_UPDATES_SINK, topics.modelUpdates(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        t.addStateStore(rows, TRAINER);
        // Small segments: journal records are deleted at every checkpoint, and compaction only
        // cleans closed segments, so a restore reads little more than the live journal.
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TrainerStateStore.JOURNAL),
                Serdes.Long(), Serdes.ByteArray()).withCachingDisabled()
                .withLoggingEnabled(Map.of("segment.bytes", Integer.toString(32 << 20))), TRAINER);
        return t;
    }
}
