package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventValidator;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.CounterRandom;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.state.KeyValueRowStore;
import io.inflight.trainer.state.RowCodec;
import io.inflight.trainer.state.RowStore;
import io.inflight.trainer.state.TrainerStateStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
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
    private static final double EPS = 1e-8;
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final EventCodec codec;
    private final EventValidator validator;
    private final Map<String, Integer> slotOf = new HashMap<>();

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> state;
    private RowStore rows;
    private BatchModel model;
    private PersistedMetrics metrics;
    private final List<ClickEvent> pending = new ArrayList<>();
    private final TreeSet<Long> dirty = new TreeSet<>();
    private long batches;
    private long firstOffset = -1;

    // Batch buffers, sized once.
    private float[] emb;
    private float[] lin;
    private float[] num;
    private float[] logits;
    private float[] labels;
    private float[] embGrad;
    private float[] linGrad;
    private float[] dense;
    private int width;

    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, BatchModelFactory factory,
                                 TrainerMeters meters) {
        this.settings = settings;
        this.batch = batch;
        this.factory = factory;
        this.meters = meters;
        this.codec = new EventCodec(settings.limits());
        this.validator = new EventValidator(settings.limits());
        for (int i = 0; i < batch.fields().size(); i++) {
            slotOf.put(batch.fields().get(i), i);
        }
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.model = factory.create(batch);
        int b = batch.batchSize();
        int f = batch.slots();
        int d = batch.dim();
        this.width = d + 3;
        this.rows = new KeyValueRowStore(context.getStateStore(TrainerStateStore.ROWS), width);
        this.state = context.getStateStore(TrainerStateStore.STATE);
        this.emb = new float[b * f * d];
        this.lin = new float[b * f];
        this.num = new float[0];
        this.logits = new float[b];
        this.labels = new float[b];
        this.embGrad = new float[b * f * d];
        this.linGrad = new float[b * f];
        this.dense = new float[model.denseSize()];
        this.metrics = new PersistedMetrics(state, settings.aucBins());
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
            pending.add(codec.decode(bytes));
        }
        dirty.clear();
        try (KeyValueIterator<String, byte[]> it = state.prefixScan(DIRTY, new StringSerializer())) {
            it.forEachRemaining(kv -> dirty.add(Long.parseLong(kv.key.substring(DIRTY.length()))));
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        ClickEvent event;
        try {
            event = codec.decode(record.value());
            validator.validate(event, context.currentSystemTimeMs());
        } catch (MalformedEventException e) {
            metrics.rejected();
            meters.rejected(e.reason());
            DeadLetters.forward(context, record, e.reason(), e.getMessage());
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
        int b = pending.size();
        int f = batch.slots();
        int d = batch.dim();
        // 1. Distinct rows of the batch, read once (absent rows get their deterministic initial value).
        Map<Long, float[]> batchRows = new HashMap<>();
        long[][] slotKeys = new long[b * f][];
        for (int e = 0; e < b; e++) {
            for (ClickEvent.Field field : pending.get(e).fields()) {
                Integer slot = slotOf.get(field.name());
                if (slot == null) {
                    continue;
                }
                long[] keys = new long[field.values().size()];
                for (int v = 0; v < keys.length; v++) {
                    keys[v] = FeatureKeys.key(field.name(), field.values().get(v));
                    batchRows.computeIfAbsent(keys[v], this::readOrInit);
                }
                slotKeys[e * f + slot] = keys;
            }
        }
        // 2. Inputs: per slot, the sum of its features' rows (zero when the event lacks the field).
        Arrays.fill(emb, 0, b * f * d, 0f);
        Arrays.fill(lin, 0, b * f, 0f);
        for (int e = 0; e < b; e++) {
            labels[e] = pending.get(e).label();
            for (int s = 0; s < f; s++) {
                long[] keys = slotKeys[e * f + s];
                if (keys == null) {
                    continue;
                }
                for (long k : keys) {
                    float[] r = batchRows.get(k);
                    lin[e * f + s] += r[0];
                    int base = (e * f + s) * d;
                    for (int j = 0; j < d; j++) {
                        emb[base + j] += r[1 + j];
                    }
                }
            }
        }
        // 3. Score before learning.
        model.forward(emb, lin, num, b, logits);
        for (int e = 0; e < b; e++) {
            ClickEvent ev = pending.get(e);
            if (Float.isFinite(logits[e])) {
                metrics.record(logits[e], ev.label());
                meters.event();
            }
            if (settings.predictions()) {
                context.forward(new Record<>(null, DeadLetters.prediction(ev.id(), ev.eventTimeMs(), ev.label(),
                        Losses.sigmoid(logits[e])), context.currentSystemTimeMs()), TrainerTopology.PREDICTIONS_SINK);
            }
        }
        // 4. Learn: dense step inside the model, then row-wise Adagrad on every touched row.
        if (!model.backward(labels, b, embGrad, linGrad)) {
            meters.nonFinite();
            LOG.warn("batch {} (offsets from {}) has a non-finite loss or gradient; not applied", batches, firstOffset);
        } else {
            applyRowGradients(b, slotKeys, batchRows);
            model.exportDense(dense);
            writeDense();
        }
        // 5. The batch is done: forget it, count it, publish when due.
        for (int i = 0; i < b; i++) {
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

    private float[] readOrInit(long key) {
        float[] r = new float[width];
        if (!rows.read(key, r)) {
            for (int j = 0; j < batch.dim(); j++) {
                r[1 + j] = (float) (batch.initStddev() * CounterRandom.gaussian(batch.seed(), key, j));
            }
        }
        return r;
    }

    private void applyRowGradients(int b, long[][] slotKeys, Map<Long, float[]> batchRows) {
        int f = batch.slots();
        int d = batch.dim();
        Map<Long, float[]> grads = new HashMap<>();
        for (int e = 0; e < b; e++) {
            for (int s = 0; s < f; s++) {
                long[] keys = slotKeys[e * f + s];
                if (keys == null) {
                    continue;
                }
                int base = (e * f + s) * d;
                for (long k : keys) {
                    float[] g = grads.computeIfAbsent(k, x -> new float[d + 1]);
                    g[0] += linGrad[e * f + s];
                    for (int j = 0; j < d; j++) {
                        g[1 + j] += embGrad[base + j];
                    }
                }
            }
        }
        double lr = batch.embeddingLearningRate();
        double l2 = batch.l2();
        // Sorted keys: the float updates do not depend on hash-map order.
        for (long k : new TreeSet<>(grads.keySet())) {
            float[] g = grads.get(k);
            float[] r = batchRows.get(k);
            double gl = g[0] + l2 * r[0];
            r[d + 1] += (float) (gl * gl);
            r[0] -= (float) (lr * gl / Math.sqrt(r[d + 1] + EPS));
            double sq = 0;
            for (int j = 0; j < d; j++) {
                double gj = g[1 + j] + l2 * r[1 + j];
                sq += gj * gj;
            }
            r[d + 2] += (float) (sq / d);
            double step = lr / Math.sqrt(r[d + 2] + EPS);
            for (int j = 0; j < d; j++) {
                r[1 + j] -= (float) (step * (g[1 + j] + l2 * r[1 + j]));
            }
            rows.write(k, r);
            if (dirty.add(k)) {
                state.put(DIRTY + k, new byte[0]);
            }
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
            state.delete(DIRTY + k);
        }
        dirty.clear();
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
