package io.inflight.trainer.shard;

import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.store.streams.EmbeddingStores;
import io.inflight.topics.MalformedShardRecordException;
import io.inflight.topics.RejectReason;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.topology.ChangedRowRecords;
import io.inflight.trainer.topology.DeadLetters;
import io.inflight.trainer.topology.Faults;
import io.inflight.trainer.topology.TableStats;
import io.inflight.trainer.topology.TrainerTasks;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A row-shard task (issue 16): one per partition of {@code row-requests}, partition s being shard s
 * of S. Each request record is decoded ({@link RowShardCodec}) and handled by a {@link RowShard} over
 * the task's embedding store, and its reply is forwarded to the replies sink with the trainer's
 * number as key ({@link #trainerKey}, 4 bytes big-endian), to partition {@code trainer mod P} of the
 * replies topic ({@link TrainerPartitioner}).
 *
 * <p>Stores: the embedding store ({@link EmbeddingStores}, logged RocksDB under the hot tier) with
 * its default, non-deferred durability: every commit flushes the rows changed since the last one,
 * so what commits is exactly the rows after the requests whose offsets commit. The progress store
 * (a logged, cached key-value store) holds {@link RowShard#exportProgress()} under
 * {@value #PROGRESS_KEY}, written when a request moves it; both commit with the offsets, so with
 * exactly-once a restarted task restores rows and progress as of its last commit, and a request it
 * reads again applies its push once.
 *
 * <p>Bad records never stop the task: a request that does not decode is dead-lettered with its
 * reason ({@link MalformedShardRecordException#reason()}) and source coordinates, as the intake
 * does; one that cannot be handled (a key of another shard, another stride, a store that refuses
 * it) or whose reply would not fit a record is dead-lettered with reason {@code internal-error} and
 * the exception in the detail; then the next record is processed. Failures of Kafka, the state
 * stores or the disk ({@link Faults#isInfrastructure}) fail the task. A push the store refuses is
 * skipped and logged, and its pull answered ({@link RowShard}).
 */
public final class ShardProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    /** The node names {@link #addTo} gives. */
    public static final String SOURCE = "row-requests-source";
    public static final String PROCESSOR = "row-shard";
    public static final String REPLIES_SINK = "row-replies-sink";
    public static final String DEAD_LETTER_SINK = "row-shard-dead-letter-sink";
    public static final String MODEL_UPDATES_SINK = "row-shard-model-updates-sink";
    /** The key of the progress in the progress store. */
    public static final String PROGRESS_KEY = "progress";
    /** The key of the policies' state in the progress store ({@link ShardPolicies#exportState}). */
    public static final String POLICY_KEY = "policy";
    /** The prefix of the keys of the policies' ring slots ({@link RequestRing#exportSlot}), followed by the slot. */
    public static final String PULLS_KEY = "pulls-";
    /** How often calls from other threads ({@link TrainerTasks#tableStats}) are served. */
    private static final Duration SERVE_EVERY = Duration.ofMillis(50);
    /** Policy settings of mode none. */
    private static final PolicySettings NO_POLICY = PolicySettings.defaults().with(PolicySettings.MODE, "none");
    /** Room for a record's framing beside its value and 4-byte key. */
    private static final int FRAMING_BYTES = 256;

    private static final Logger LOG = LoggerFactory.getLogger(ShardProcessor.class);

    private final int shards;
    private final String embeddingStore;
    private final String progressStore;
    private final String repliesSink;
    private final String deadLetterSink;
    /** Where the changed rows are published (null: nowhere) and how often. */
    private final String modelUpdatesSink;
    private final long publishIntervalMs;
    /** The application's policy settings (mode none: the shard runs none) and the trainer's window W. */
    private final PolicySettings policy;
    private final int window;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> progress;
    private RowShard shard;
    private int maxRecordBytes;
    private TrainerTasks.ShardHandle tasks;

    /**
     * @param shards         S, the number of shards (the partitions of the requests topic)
     * @param embeddingStore the name of the task's {@link EmbeddingStateStore}
     * @param progressStore  the name of its progress store ({@code KeyValueStore<String, byte[]>})
     * @param repliesSink    the child the replies go to
     * @param deadLetterSink the child the dead letters go to
     */
    public ShardProcessor(int shards, String embeddingStore, String progressStore, String repliesSink,
                          String deadLetterSink) {
        this(shards, embeddingStore, progressStore, repliesSink, deadLetterSink, null, 0, NO_POLICY, 1);
    }

    /**
     * As above, publishing the rows changed since the last publication to {@code modelUpdatesSink}
     * (model 0, as the trainer's {@link ChangedRowRecords}) every {@code publishIntervalMs} of
     * wall-clock time and before answering a request without keys to pull (a trainer's finish: so the
     * rows its last pushes changed go out with the reply that tells it they were applied). With a
     * policy mode other than none, the shard runs {@link ShardPolicies} under its share of
     * {@code policy}'s budget, W being {@code window}.
     */
    public ShardProcessor(int shards, String embeddingStore, String progressStore, String repliesSink,
                          String deadLetterSink, String modelUpdatesSink, long publishIntervalMs, PolicySettings policy,
                          int window) {
        if (shards < 1) {
            throw new IllegalArgumentException("row shards must be >= 1, got " + shards);
        }
        this.shards = shards;
        this.embeddingStore = embeddingStore;
        this.progressStore = progressStore;
        this.repliesSink = repliesSink;
        this.deadLetterSink = deadLetterSink;
        this.modelUpdatesSink = modelUpdatesSink;
        this.publishIntervalMs = publishIntervalMs;
        this.policy = policy;
        this.window = window;
    }

    /**
     * Adds the shard sub-topology to {@code t}: {@code requestsTopic → row-shard → repliesTopic,
     * deadLetterTopic}, with the embedding store {@code embeddingStore} ({@code store}'s settings)
     * and the progress store {@code progressStore}, running {@code policy} (see the constructor).
     * {@code requestsTopic} must have {@code shards} partitions (a task of a partition beyond them
     * fails at start).
     *
     * @return {@code t}
     */
    public static Topology addTo(Topology t, String requestsTopic, String repliesTopic, String deadLetterTopic,
                                 String modelUpdatesTopic, long publishIntervalMs, String embeddingStore,
                                 String progressStore, StoreConfig store, int shards, PolicySettings policy, int window) {
        t.addSource(SOURCE, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), requestsTopic);
        t.addProcessor(PROCESSOR, () -> new ShardProcessor(shards, embeddingStore, progressStore, REPLIES_SINK,
                DEAD_LETTER_SINK, MODEL_UPDATES_SINK, publishIntervalMs, policy, window), SOURCE);
        t.addSink(MODEL_UPDATES_SINK, modelUpdatesTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        t.addSink(REPLIES_SINK, repliesTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                new TrainerPartitioner(), PROCESSOR);
        t.addSink(DEAD_LETTER_SINK, deadLetterTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(),
                PROCESSOR);
        t.addStateStore(EmbeddingStores.builder(embeddingStore, store), PROCESSOR);
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(progressStore), Serdes.String(),
                Serdes.ByteArray()).withCachingEnabled(), PROCESSOR);
        return t;
    }

    /** The key of a reply to {@code trainer}: its number, 4 bytes big-endian. */
    public static byte[] trainerKey(int trainer) {
        return ByteBuffer.allocate(4).putInt(trainer).array();
    }

    /** The trainer a reply's key names, or -1 when it is not a 4-byte key. */
    public static int trainerOf(byte[] key) {
        return key == null || key.length != 4 ? -1 : ByteBuffer.wrap(key).getInt();
    }

    /** Sends the replies to trainer t to partition {@code t mod P} of the P partitions of the replies topic. */
    public static final class TrainerPartitioner implements StreamPartitioner<byte[], byte[]> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, byte[] key, byte[] value, int numPartitions) {
            int trainer = trainerOf(key);
            return trainer < 0 ? Optional.empty() : Optional.of(Set.of(trainer % numPartitions));
        }
    }

    /**
     * Opens the shard of this task's partition over its stores, with the progress they hold.
     *
     * @throws IllegalStateException when the partition is not below S, or the stored progress is of
     *                               another shard or S
     */
    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        int partition = context.taskId().partition();
        if (partition >= shards) {
            throw new IllegalStateException("task " + context.taskId() + " reads partition " + partition
                    + " of the row requests, but there are S = " + shards + " row shards: the topic has more partitions");
        }
        EmbeddingStateStore rows = context.getStateStore(embeddingStore);
        this.progress = context.getStateStore(progressStore);
        this.shard = new RowShard(rows.store(), partition, shards);
        try {
            shard.restoreProgress(progress.get(PROGRESS_KEY));
            if (policy.mode() != PolicyMode.NONE) {
                ShardPolicies p = new ShardPolicies(rows.store(), ShardPolicies.perShard(policy, shards), window);
                p.restoreState(progress.get(POLICY_KEY));
                for (int slot = 0; slot < RequestRing.SLOTS; slot++) {
                    p.ring().restoreSlot(slot, progress.get(PULLS_KEY + slot));
                }
                shard.policies(p);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("task " + context.taskId() + ", store " + progressStore + ": " + e.getMessage(), e);
        }
        this.maxRecordBytes = DeadLetters.maxRecordBytes(context.appConfigs());
        long restoredRows = rows.store().rowCount();
        this.tasks = TrainerTasks.registerShard(context.applicationId(), partition, rows.store(), () -> {
            ShardPolicies p = shard.policies();
            return TableStats.ofShard(rows.store(), restoredRows, p == null ? 0 : p.passes(), p == null ? 0 : p.rowsEvicted());
        });
        context.schedule(SERVE_EVERY, PunctuationType.WALL_CLOCK_TIME, t -> tasks.serve());
        if (modelUpdatesSink != null && publishIntervalMs > 0) {
            context.schedule(Duration.ofMillis(publishIntervalMs), PunctuationType.WALL_CLOCK_TIME, this::publish);
        }
    }

    /** Publishes the rows changed since the last publication, if any. */
    private void publish(long ts) {
        EmbeddingRows rows = shard.rows();
        if (modelUpdatesSink == null || rows.changedCount() == 0) {
            return;
        }
        ChangedRowRecords.visit(rows, 0, (key, value) -> context.forward(new Record<>(key, value, ts), modelUpdatesSink));
        rows.clearChanged();
    }

    @Override
    public void close() {
        if (tasks != null) {
            tasks.close();
            tasks = null;
        }
    }

    /** The shard this task runs (valid after init). */
    public RowShard shard() {
        return shard;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        ShardRequest request;
        try {
            request = RowShardCodec.decodeRequest(record.value());
        } catch (MalformedShardRecordException e) {
            reject(record, e.reason(), e.getMessage());
            return;
        }
        long before = shard.lastApplied(request.trainer());
        long failedBefore = shard.failedPushes() + shard.failedPasses();
        long passesBefore = shard.policies() == null ? 0 : shard.policies().passes();
        ShardReply reply;
        try {
            reply = shard.handle(request);
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            saveProgress(request.trainer(), before);
            reject(record, RejectReason.INTERNAL_ERROR, Faults.describe("handling " + request, e));
            return;
        }
        saveProgress(request.trainer(), before);
        savePolicies(request.batch(), passesBefore);
        if (shard.failedPushes() + shard.failedPasses() > failedBefore) {
            LOG.warn("task {}: {}", context.taskId(), shard.lastFailure());
        }
        byte[] value = RowShardCodec.encode(reply);
        if ((long) value.length + 4 + FRAMING_BYTES > maxRecordBytes) {
            reject(record, RejectReason.INTERNAL_ERROR, "the reply to " + request + " is " + value.length
                    + " bytes, more than a record may hold (" + maxRecordBytes + "): pull fewer keys per request");
            return;
        }
        if (request.pullKeys().length == 0) {
            publish(context.currentSystemTimeMs());
        }
        context.forward(new Record<>(trainerKey(request.trainer()), value, record.timestamp()), repliesSink);
    }

    private void saveProgress(int trainer, long before) {
        if (shard.lastApplied(trainer) != before) {
            progress.put(PROGRESS_KEY, shard.exportProgress());
        }
    }

    /** Stores the ring slot of request {@code batch} and, when it changed, the policies' state; logs a pass. */
    private void savePolicies(long batch, long passesBefore) {
        ShardPolicies p = shard.policies();
        if (p == null) {
            return;
        }
        int slot = RequestRing.slotOf(batch);
        progress.put(PULLS_KEY + slot, p.ring().exportSlot(slot));
        if (p.takeChanged()) {
            progress.put(POLICY_KEY, p.exportState());
        }
        if (p.passes() > passesBefore) {
            PassReport r = p.lastPass();
            LOG.info("task {}: policy pass of shard {} at batch {}: bytes {} -> {} (its budget {}), chunks pruned {} "
                            + "re-allocated {}, rows evicted {}, promotions {} demotions {}, {} ms", context.taskId(),
                    shard.shard(), r.step(), r.bytesBefore(), r.bytesAfter(), r.budgetBytes(), r.chunksPruned(),
                    r.chunksReallocated(), r.rowsEvicted(), r.promotions(), r.demotions(), r.durationNanos() / 1_000_000);
        }
    }

    private void reject(Record<byte[], byte[]> record, RejectReason reason, String detail) {
        LOG.warn("task {}: dead-lettered a row request: {}", context.taskId(), detail);
        DeadLetters.forward(context, record, reason, detail, maxRecordBytes, deadLetterSink);
    }
}
