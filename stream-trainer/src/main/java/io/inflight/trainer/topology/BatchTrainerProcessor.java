package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.Losses;
import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.RowSink;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.trainer.state.RowCodec;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Field-aware mini-batch training with a {@link BatchModel}.
 *
 * <p>Valid events are appended to a pending batch that lives in the trainer-state store (so it
 * commits with the offsets); every {@code batchSize} events the batch is scored (progressive
 * validation: every event is scored by the model as it was before the batch), trained, and the
 * rows it touched are updated in the embedding store (row-wise Adagrad per chunk, at each row's
 * precision). Batches are cut by count, never by time, so the same input gives the same batches and
 * the same model on every run and after any crash.
 *
 * <p>Rows live in the {@link EmbeddingStateStore} (hot tier in memory, flushed into its logged
 * RocksDB store before every commit); the dense parameters, the batch counter, the pending batch
 * and the metrics live in the trainer-state store. The store keeps the set of rows changed since
 * the last publication; every {@code publishEveryBatches} batches they are published, coalesced,
 * to the model-updates topic with their chunk mask and precision (a tombstone for an evicted row)
 * and the dense parameters, inside the same transaction as the state they describe.
 */
public final class BatchTrainerProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    static final String PENDING = "pending/";
    static final String DENSE_CHUNK = "dense/";
    static final String BATCHES = "batches";
    static final String POLICY_STATE = "policy";
    /** What the stored dense state belongs to: model, shape and optimizer. */
    static final String DENSE_SHAPE = "dense-shape";
    static final int DENSE_CHUNK_FLOATS = 16_384;
    /** How often (wall-clock) calls queued by {@link TrainerTasks} run on the stream thread. */
    private static final java.time.Duration TASK_CALLS_POLL = java.time.Duration.ofMillis(50);
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final PolicySettings policy;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final Intake intake;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> state;
    private EmbeddingStore rows;
    /** The policy passes; null in mode none. */
    private PolicyRunner runner;
    private BatchModel model;
    private PersistedMetrics metrics;
    private final List<ClickEvent> pending = new ArrayList<>();
    private TrainerTasks.Handle tasks;
    private long batches;
    private long firstOffset = -1;
    private BatchTrainer trainer;
    private float[] dense;
    private boolean shapeWritten;


    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                 BatchModelFactory factory, TrainerMeters meters) {
        this.settings = settings;
        this.batch = batch;
        this.policy = policy;
        this.factory = factory;
        this.meters = meters;
        this.intake = new Intake(settings, meters);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.model = factory.create(batch);
        this.rows = context.<EmbeddingStateStore>getStateStore(TrainerStateStore.EMBEDDINGS).store();
        if (policy.mode() != PolicyMode.NONE) {
            this.runner = new PolicyRunner(policy, rows.chunkWidths(), batch.slots());
            if (!runner.checkpointable()) {
                throw new IllegalArgumentException("policy mode " + policy.mode().configName()
                        + " keeps per-batch state the streaming trainer does not checkpoint");
            }
        }
        this.trainer = new BatchTrainer(batch, model, rows);
        this.state = context.getStateStore(TrainerStateStore.STATE);
        this.dense = new float[model.denseSize()];
        this.metrics = new PersistedMetrics(state, settings.aucBins(), settings.windowEvents());
        restore();
        int partition = context.taskId().partition();
        this.tasks = TrainerTasks.register(context.applicationId(), new TrainerTasks.View() {
            @Override
            public int partition() {
                return partition;
            }

            @Override
            public EmbeddingStore rows() {
                return rows;
            }

            @Override
            public byte[] digest() {
                return BatchTrainerProcessor.this.digest();
            }
        });
        context.schedule(TASK_CALLS_POLL, org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME,
                t -> tasks.serve());
    }

    private String denseShape() {
        return model.name() + " fields=" + batch.fields() + " D=" + batch.dim() + " hidden=" + batch.hidden() + " activation="
                + batch.activation() + " optimizer=" + batch.optimizer() + " floats=" + model.denseSize();
    }

    /**
     * SHA-256 of the model of this task: every row (values, precisions, utilities, optimizer state),
     * the dense parameters with their optimizer state, and the batch counter.
     */
    private byte[] digest() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(rows.digest());
            model.exportDense(dense);
            ByteBuffer b = ByteBuffer.allocate(4 * dense.length + 8);
            for (float v : dense) {
                b.putFloat(v);
            }
            md.update(b.putLong(batches).array());
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Reloads everything held in memory between commits from the (restored) store. */
    private void restore() {
        byte[] count = state.get(BATCHES);
        batches = count == null ? 0 : ByteBuffer.wrap(count).getLong();
        String shape = denseShape();
        byte[] storedShape = state.get(DENSE_SHAPE);
        if (storedShape != null && !shape.equals(new String(storedShape, java.nio.charset.StandardCharsets.UTF_8))) {
            throw new IllegalStateException("store " + TrainerStateStore.STATE + " holds the dense state of "
                    + new String(storedShape, java.nio.charset.StandardCharsets.UTF_8) + ", but this trainer is " + shape
                    + "; train a changed model under a new inflight.application.id (or reset the application)");
        }
        shapeWritten = storedShape != null;
        boolean haveDense = false;
        float[] chunk = new float[DENSE_CHUNK_FLOATS];
        for (int c = 0; c * DENSE_CHUNK_FLOATS < dense.length; c++) {
            byte[] bytes = state.get(DENSE_CHUNK + c);
            if (bytes == null) {
                break;
            }
            int n = Math.min(DENSE_CHUNK_FLOATS, dense.length - c * DENSE_CHUNK_FLOATS);
            RowCodec.decode(bytes, chunk, n, TrainerStateStore.STATE, DENSE_CHUNK + c);
            System.arraycopy(chunk, 0, dense, c * DENSE_CHUNK_FLOATS, n);
            haveDense = true;
        }
        if (haveDense) {
            model.importDense(dense);
        }
        byte[] passState = state.get(POLICY_STATE);
        if (runner != null && passState != null) {
            runner.importPassState(passState);
        }
        pending.clear();
        Map<Integer, byte[]> byIndex = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = state.prefixScan(PENDING, new StringSerializer())) {
            it.forEachRemaining(kv -> byIndex.put(Integer.parseInt(kv.key.substring(PENDING.length())), kv.value));
        }
        for (int i = 0; i < byIndex.size(); i++) {
            byte[] bytes = byIndex.get(i);
            if (bytes == null) {
                throw new IllegalStateException("store " + TrainerStateStore.STATE + ": pending batch has a gap at " + i);
            }
            pending.add(intake.decoder().decode(bytes));
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        ClickEvent event = intake.accept(context, record, metrics);
        if (event == null) {
            return;
        }
        if (firstOffset < 0) {
            firstOffset = context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
        }
        state.put(PENDING + pending.size(), record.value());
        pending.add(event);
        if (pending.size() == batch.batchSize()) {
            trainBatch();
        }
    }

    private void trainBatch() {
        BatchTrainer.Listener listener = new BatchTrainer.Listener() {
            @Override
            public void scored(ClickEvent ev, float logit) {
                if (Float.isFinite(logit)) {
                    metrics.record(logit, ev.label());
                    meters.event();
                }
                if (settings.predictions()) {
                    context.forward(new Record<>(null, DeadLetters.prediction(ev.id(), ev.eventTimeMs(), ev.label(),
                            Losses.sigmoid(logit)), context.currentSystemTimeMs()), TrainerTopology.PREDICTIONS_SINK);
                }
            }
        };
        metrics.deferWrites();
        if (trainer.step(pending, batches, listener)) {
            model.exportDense(dense);
            writeDense();
        } else {
            meters.nonFinite();
            LOG.warn("batch {} (offsets from {}) has a non-finite loss or gradient; not applied", batches, firstOffset);
        }
        metrics.flushWrites();
        for (int i = 0; i < pending.size(); i++) {
            state.delete(PENDING + i);
        }
        pending.clear();
        firstOffset = -1;
        batches++;
        state.put(BATCHES, ByteBuffer.allocate(8).putLong(batches).array());
        if (runner != null && runner.isPassDue(batches)) {
            PassReport r = runner.runPass(rows, batches);
            state.put(POLICY_STATE, runner.exportPassState());
            LOG.info("policy pass at batch {}: {} rows, bytes {} -> {} (budget {}), chunks pruned {} re-allocated {}, "
                            + "rows evicted {}, promotions {} demotions {}, {} ms", batches, r.rowsVisited(), r.bytesBefore(),
                    r.bytesAfter(), r.budgetBytes(), r.chunksPruned(), r.chunksReallocated(), r.rowsEvicted(),
                    r.promotions(), r.demotions(), r.durationNanos() / 1_000_000);
        }
        if (batches % batch.publishEveryBatches() == 0) {
            publish();
        }
    }

    private void writeDense() {
        if (!shapeWritten) {
            state.put(DENSE_SHAPE, denseShape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            shapeWritten = true;
        }
        float[] chunk = new float[DENSE_CHUNK_FLOATS];
        for (int c = 0; c * DENSE_CHUNK_FLOATS < dense.length; c++) {
            int n = Math.min(DENSE_CHUNK_FLOATS, dense.length - c * DENSE_CHUNK_FLOATS);
            System.arraycopy(dense, c * DENSE_CHUNK_FLOATS, chunk, 0, n);
            state.put(DENSE_CHUNK + c, RowCodec.encode(chunk, n));
        }
    }

    /**
     * Publishes every row changed since the last publication (with its chunk mask and the widest
     * precision among its stored chunks; a tombstone for an evicted row), and the dense parameters.
     */
    private void publish() {
        long ts = context.currentSystemTimeMs();
        int d = batch.dim();
        rows.forEachChanged(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                int bits = 0;
                for (int c = 0; c < precisions.length; c++) {
                    if ((mask & (1 << c)) != 0) {
                        bits = Math.max(bits, precisions[c].bits());
                    }
                }
                context.forward(new Record<>(ModelUpdateCodec.rowKey(key),
                        ModelUpdateCodec.row(linear, values, 0, d, mask, bits), ts), TrainerTopology.MODEL_UPDATES_SINK);
            }

            @Override
            public void evicted(long key) {
                context.forward(new Record<>(ModelUpdateCodec.rowKey(key), (byte[]) null, ts),
                        TrainerTopology.MODEL_UPDATES_SINK);
            }
        });
        rows.clearChanged();
        for (int c = 0; c * DENSE_CHUNK_FLOATS < dense.length; c++) {
            int n = Math.min(DENSE_CHUNK_FLOATS, dense.length - c * DENSE_CHUNK_FLOATS);
            context.forward(new Record<>(ModelUpdateCodec.denseKey(c),
                    ModelUpdateCodec.dense(batches, dense, c * DENSE_CHUNK_FLOATS, n), ts), TrainerTopology.MODEL_UPDATES_SINK);
        }
    }

    @Override
    public void close() {
        if (tasks != null) {
            tasks.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
