package io.inflight.trainer.train;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One mini-batch step, free of Kafka: gather the rows of a batch's features from the
 * {@link EmbeddingStore} into per-field slots, score every event with the current model (before
 * learning), take the model's dense step, and scatter the summed row gradients back (the store
 * applies row-wise Adagrad per chunk, updates the FIITED utilities and writes each row at its
 * precision). The Streams processor and the in-process benchmarks both run this class, so they
 * train identically.
 *
 * <p>Each distinct key of a batch is gathered and scattered once, in ascending key order, with its
 * number of occurrences as its accesses: results never depend on hash order. Not thread-safe.
 */
public final class BatchTrainer {

    /** What a step reports back. */
    @FunctionalInterface
    public interface Listener {
        /** An event of the batch was scored {@code logit} before learning. */
        void scored(ClickEvent event, float logit);
    }

    private final BatchSettings settings;
    private final BatchModel model;
    private final EmbeddingStore rows;
    private final Map<String, Integer> slotOf = new HashMap<>();
    private final int stride;
    private final float[] emb;
    private final float[] lin;
    private final float[] num = new float[0];
    private final float[] logits;
    private final float[] labels;
    private final float[] embGrad;
    private final float[] linGrad;
    /** Per (event, slot): where its keys start in {@link #occurrences}; slotStart[b*F] = total. */
    private final int[] slotStart;
    /** Keys placed so far per slot of the event being collected. */
    private final int[] fill;
    private long[] occurrences = new long[1024];
    private int[] occurrenceRow = new int[1024];
    private long[] keys = new long[1024];
    private int[] accesses = new int[1024];
    private float[] rowBuf = new float[1024];
    private float[] gradBuf = new float[1024];

    public BatchTrainer(BatchSettings settings, BatchModel model, EmbeddingStore rows) {
        if (rows.dim() != settings.dim()) {
            throw new IllegalArgumentException("store " + rows.name() + " has D = " + rows.dim() + " but the model has D = "
                    + settings.dim());
        }
        this.settings = settings;
        this.model = model;
        this.rows = rows;
        for (int i = 0; i < settings.fields().size(); i++) {
            slotOf.put(settings.fields().get(i), i);
        }
        int b = settings.batchSize();
        int f = settings.slots();
        int d = settings.dim();
        this.stride = rows.stride();
        this.emb = new float[b * f * d];
        this.lin = new float[b * f];
        this.logits = new float[b];
        this.labels = new float[b];
        this.embGrad = new float[b * f * d];
        this.linGrad = new float[b * f];
        this.slotStart = new int[b * f + 1];
        this.fill = new int[f];
    }

    /**
     * The store settings that match {@code s} at full precision and fixed dimension: one chunk of D,
     * fp32, row-wise Adagrad at the embedding learning rate, random initial values with the
     * configured standard deviation (uniform, so half-width √3·σ).
     */
    public static StoreConfig fullPrecision(BatchSettings s, int hotRows) {
        return new StoreConfig(ChunkLayout.of(s.dim()), Precision.FP32, hotRows, s.seed(), (float) s.embeddingLearningRate(),
                (float) s.l2(), 1e-8f, new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.9f), ChunkInit.RANDOM,
                (float) (Math.sqrt(3) * s.initStddev()));
    }

    public BatchModel model() {
        return model;
    }

    public EmbeddingStore rows() {
        return rows;
    }

    /**
     * Scores and learns from {@code batch} (at most the batch size) as training step {@code step}.
     *
     * @return false when the model refused a non-finite step (nothing was written)
     */
    public boolean step(List<ClickEvent> batch, long step, Listener listener) {
        int b = batch.size();
        if (b > settings.batchSize()) {
            throw new IllegalArgumentException("batch of " + b + " exceeds the batch size " + settings.batchSize());
        }
        int f = settings.slots();
        int d = settings.dim();
        int n = collectKeys(batch, f);
        int distinct = distinctKeys(n);
        ensureRowBuffers(distinct);
        rows.gather(keys, distinct, rowBuf);

        Arrays.fill(emb, 0, b * f * d, 0f);
        Arrays.fill(lin, 0, b * f, 0f);
        for (int e = 0; e < b; e++) {
            labels[e] = batch.get(e).label();
            for (int s = 0; s < f; s++) {
                int cell = e * f + s;
                int base = cell * d;
                for (int o = slotStart[cell]; o < slotStart[cell + 1]; o++) {
                    int r = occurrenceRow[o] * stride;
                    for (int j = 0; j < d; j++) {
                        emb[base + j] += rowBuf[r + j];
                    }
                    lin[cell] += rowBuf[r + d];
                }
            }
        }
        model.forward(emb, lin, num, b, logits);
        for (int e = 0; e < b; e++) {
            listener.scored(batch.get(e), logits[e]);
        }
        if (!model.backward(labels, b, embGrad, linGrad)) {
            return false;
        }
        Arrays.fill(gradBuf, 0, distinct * stride, 0f);
        for (int cell = 0; cell < b * f; cell++) {
            int base = cell * d;
            for (int o = slotStart[cell]; o < slotStart[cell + 1]; o++) {
                int r = occurrenceRow[o] * stride;
                for (int j = 0; j < d; j++) {
                    gradBuf[r + j] += embGrad[base + j];
                }
                gradBuf[r + d] += linGrad[cell];
            }
        }
        rows.scatter(keys, accesses, distinct, gradBuf, step);
        return true;
    }

    /** Fills {@link #occurrences} with the keys of every (event, slot), in order; returns their count. */
    private int collectKeys(List<ClickEvent> batch, int f) {
        int n = 0;
        int b = batch.size();
        for (int e = 0; e < b; e++) {
            int cellBase = e * f;
            // fields may come in any order: count per slot first, then place
            for (int s = 0; s < f; s++) {
                slotStart[cellBase + s] = 0;
            }
            List<ClickEvent.Field> fields = batch.get(e).fields();
            for (ClickEvent.Field field : fields) {
                Integer slot = slotOf.get(field.name());
                if (slot != null) {
                    slotStart[cellBase + slot] += field.values().size();
                }
            }
            int start = n;
            for (int s = 0; s < f; s++) {
                int count = slotStart[cellBase + s];
                slotStart[cellBase + s] = start;
                start += count;
            }
            Arrays.fill(fill, 0);
            for (ClickEvent.Field field : fields) {
                Integer slot = slotOf.get(field.name());
                if (slot == null) {
                    continue;
                }
                for (String value : field.values()) {
                    int at = slotStart[cellBase + slot] + fill[slot]++;
                    ensureOccurrences(at + 1);
                    occurrences[at] = FeatureKeys.key(field.name(), value);
                }
            }
            n = start;
        }
        slotStart[b * f] = n;
        return n;
    }

    /** Sorts the distinct keys into {@link #keys} with their access counts; maps occurrences to rows. */
    private int distinctKeys(int n) {
        if (keys.length < n) {
            keys = new long[Math.max(n, keys.length * 2)];
            accesses = new int[keys.length];
        }
        System.arraycopy(occurrences, 0, keys, 0, n);
        Arrays.sort(keys, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || keys[i] != keys[distinct - 1]) {
                keys[distinct] = keys[i];
                accesses[distinct] = 0;
                distinct++;
            }
        }
        for (int o = 0; o < n; o++) {
            int r = Arrays.binarySearch(keys, 0, distinct, occurrences[o]);
            occurrenceRow[o] = r;
            accesses[r]++;
        }
        return distinct;
    }

    private void ensureOccurrences(int n) {
        if (occurrences.length < n) {
            occurrences = Arrays.copyOf(occurrences, Math.max(n, occurrences.length * 2));
            occurrenceRow = Arrays.copyOf(occurrenceRow, occurrences.length);
        }
    }

    private void ensureRowBuffers(int distinct) {
        if (rowBuf.length < distinct * stride) {
            rowBuf = new float[distinct * stride * 2];
            gradBuf = new float[rowBuf.length];
        }
    }
}
