package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.state.HotRowCache;
import io.inflight.trainer.state.KeyValueRowStore;
import io.inflight.trainer.state.RowCodec;
import io.inflight.trainer.state.RowStore;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
 * rows it touched are written back with row-wise Adagrad. Batches are cut by count, never by time,
 * so the same input gives the same batches and the same model on every run and after any crash.
 *
 * <p>Rows hold {@code [linear, embedding D, accLinear, accEmbedding]} at full precision. The keys
 * of rows changed since the last publication are kept in the store too ({@code dirty/<key>}); every
 * {@code publishEveryBatches} batches they are published, coalesced, to the model-updates topic with
 * the dense parameters, inside the same transaction as the state they describe.
 */
public final class BatchTrainerProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    static final String PENDING = "pending/";
    static final String DIRTY = "dirty/";
    static final String DENSE_CHUNK = "dense/";
    static final String BATCHES = "batches";
    static final int DENSE_CHUNK_FLOATS = 16_384;
    /** Rows kept in memory in front of the store (about 80 MB at D = 16). */
    static final int HOT_ROWS = 1 << 20;
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final Intake intake;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> state;
    private RowStore rows;
    private BatchModel model;
    private PersistedMetrics metrics;
    private final List<ClickEvent> pending = new ArrayList<>();
    private final TreeSet<Long> dirty = new TreeSet<>();
    private final List<Long> written = new ArrayList<>();
    private final List<String> dirtyBatches = new ArrayList<>();
    private long batches;
    private long firstOffset = -1;
    private BatchTrainer trainer;
    private float[] dense;
    private int width;


    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, BatchModelFactory factory,
                                 TrainerMeters meters) {
        this.settings = settings;
        this.batch = batch;
        this.factory = factory;
        this.meters = meters;
        this.intake = new Intake(settings, meters);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.model = factory.create(batch);
        this.width = batch.dim() + 3;
        this.rows = new HotRowCache(new KeyValueRowStore(context.getStateStore(TrainerStateStore.ROWS), width), width,
                HOT_ROWS);
        this.trainer = new BatchTrainer(batch, model, rows);
        this.state = context.getStateStore(TrainerStateStore.STATE);
        this.dense = new float[model.denseSize()];
        this.metrics = new PersistedMetrics(state, settings.aucBins(), settings.windowEvents());
        restore();
    }

    /** Reloads everything held in memory between commits from the (restored) store. */
    private void restore() {
        byte[] count = state.get(BATCHES);
        batches = count == null ? 0 : ByteBuffer.wrap(count).getLong();
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
        dirty.clear();
        dirtyBatches.clear();
        try (KeyValueIterator<String, byte[]> it = state.prefixScan(DIRTY, new StringSerializer())) {
            it.forEachRemaining(kv -> {
                dirtyBatches.add(kv.key);
                ByteBuffer b = ByteBuffer.wrap(kv.value);
                while (b.hasRemaining()) {
                    dirty.add(b.getLong());
                }
            });
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

            @Override
            public void rowWritten(long key) {
                written.add(key);
            }
        };
        written.clear();
        metrics.deferWrites();
        if (trainer.step(pending, listener)) {
            model.exportDense(dense);
            writeDense();
            // One record per batch: the keys it wrote, until they are published.
            ByteBuffer keys = ByteBuffer.allocate(8 * written.size());
            written.forEach(keys::putLong);
            state.put(DIRTY + batches, keys.array());
            dirtyBatches.add(DIRTY + batches);
            dirty.addAll(written);
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
        if (batches % batch.publishEveryBatches() == 0) {
            publish();
        }
    }

    private void writeDense() {
        float[] chunk = new float[DENSE_CHUNK_FLOATS];
        for (int c = 0; c * DENSE_CHUNK_FLOATS < dense.length; c++) {
            int n = Math.min(DENSE_CHUNK_FLOATS, dense.length - c * DENSE_CHUNK_FLOATS);
            System.arraycopy(dense, c * DENSE_CHUNK_FLOATS, chunk, 0, n);
            state.put(DENSE_CHUNK + c, RowCodec.encode(chunk, n));
        }
    }

    /** Publishes every row changed since the last publication, and the dense parameters. */
    private void publish() {
        long ts = context.currentSystemTimeMs();
        float[] r = new float[width];
        int d = batch.dim();
        int fullMask = 1; // this store keeps every row whole: one chunk of D dimensions at 32 bits
        for (long k : dirty) {
            if (rows.read(k, r)) {
                context.forward(new Record<>(ModelUpdateCodec.rowKey(k), ModelUpdateCodec.row(r[0], r, 1, d, fullMask, 32), ts),
                        TrainerTopology.MODEL_UPDATES_SINK);
            }
        }
        dirty.clear();
        dirtyBatches.forEach(state::delete);
        dirtyBatches.clear();
        for (int c = 0; c * DENSE_CHUNK_FLOATS < dense.length; c++) {
            int n = Math.min(DENSE_CHUNK_FLOATS, dense.length - c * DENSE_CHUNK_FLOATS);
            context.forward(new Record<>(ModelUpdateCodec.denseKey(c),
                    ModelUpdateCodec.dense(batches, dense, c * DENSE_CHUNK_FLOATS, n), ts), TrainerTopology.MODEL_UPDATES_SINK);
        }
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
    }
}
