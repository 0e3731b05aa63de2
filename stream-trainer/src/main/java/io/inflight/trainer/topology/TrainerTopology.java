package io.inflight.trainer.topology;

import io.inflight.policies.PolicySettings;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStores;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.state.TrainerStateStore;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.Stores;

/**
 * The trainer's Kafka Streams topology:
 * {@code <prefix>.clicks → trainer → <prefix>.dead-letter, <prefix>.predictions, <prefix>.model-updates}, with the
 * trainer-state store (persistent RocksDB with a changelog), the embedding store (hot tier in front of a
 * logged RocksDB store) and the journal (in memory, with a changelog).
 */
public final class TrainerTopology {

    public static final String SOURCE = "clicks-source";
    public static final String TRAINER = "trainer";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
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
        Topology t = build(topics, () -> new BatchTrainerProcessor(settings, batch, policy, checkpoint, factory, meters,
                faults));
        t.addStateStore(EmbeddingStores.builder(TrainerStateStore.EMBEDDINGS, store), TRAINER);
        // Small segments: journal records are deleted at every checkpoint, and compaction only
        // cleans closed segments, so a restore reads little more than the live journal.
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TrainerStateStore.JOURNAL),
                Serdes.Long(), Serdes.ByteArray()).withCachingDisabled()
                .withLoggingEnabled(Map.of("segment.bytes", Integer.toString(32 << 20))), TRAINER);
        return t;
    }

    private static Topology build(TopicCatalogue topics, ProcessorSupplier<byte[], byte[], byte[], byte[]> trainer) {
        Topology t = new Topology();
        t.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topics.clicks());
        t.addProcessor(TRAINER, trainer, SOURCE);
        var state = Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TrainerStateStore.STATE), Serdes.String(), Serdes.ByteArray());
        t.addStateStore(state.withCachingDisabled(), TRAINER);
        t.addSink(DEAD_LETTER_SINK, topics.deadLetter(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        t.addSink(PREDICTIONS_SINK, topics.predictions(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        t.addSink(MODEL_UPDATES_SINK, topics.modelUpdates(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer(), TRAINER);
        return t;
    }
}
