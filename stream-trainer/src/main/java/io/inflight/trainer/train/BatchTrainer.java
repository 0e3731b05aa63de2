package io.inflight.trainer.train;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.CounterRandom;
import io.inflight.trainer.state.RowStore;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One mini-batch step, free of Kafka: gather the rows of a batch's features into per-field slots,
 * score every event with the current model (before learning), take the model's dense step, and
 * apply row-wise Adagrad to every touched row. The Streams processor and the in-process benchmarks
 * both run this class, so they train identically.
 *
 * <p>Rows hold {@code [linear, embedding D, accLinear, accEmbedding]}; an absent row starts from a
 * deterministic draw keyed by (seed, row key). Row updates are applied in ascending key order, so
 * results never depend on hash order. Not thread-safe.
 */
public final class BatchTrainer {

    private static final double EPS = 1e-8;

    /** What a step reports back. */
    public interface Listener {
        /** Event {@code index} of the batch was scored {@code logit} before learning. */
        void scored(ClickEvent event, float logit);

        /** The row of {@code key} was written. */
        default void rowWritten(long key) {
        }
    }

    private final BatchSettings settings;
    private final BatchModel model;
    private final RowStore rows;
    private final Map<String, Integer> slotOf = new HashMap<>();
    private final int width;
    private final float[] emb;
    private final float[] lin;
    private final float[] num = new float[0];
    private final float[] logits;
    private final float[] labels;
    private final float[] embGrad;
    private final float[] linGrad;

    public BatchTrainer(BatchSettings settings, BatchModel model, RowStore rows) {
        this.settings = settings;
        this.model = model;
        this.rows = rows;
        for (int i = 0; i < settings.fields().size(); i++) {
            slotOf.put(settings.fields().get(i), i);
        }
        int b = settings.batchSize();
        int f = settings.slots();
        int d = settings.dim();
        this.width = d + 3;
        this.emb = new float[b * f * d];
        this.lin = new float[b * f];
        this.logits = new float[b];
        this.labels = new float[b];
        this.embGrad = new float[b * f * d];
        this.linGrad = new float[b * f];
    }

    /** Floats per stored row. */
    public int rowWidth() {
        return width;
    }

    public BatchModel model() {
        return model;
    }

    /**
     * Scores and learns from {@code batch} (at most the batch size).
     *
     * @return false when the model refused a non-finite step (nothing was written)
     */
    public boolean step(List<ClickEvent> batch, Listener listener) {
        int b = batch.size();
        if (b > settings.batchSize()) {
            throw new IllegalArgumentException("batch of " + b + " exceeds the batch size " + settings.batchSize());
        }
        int f = settings.slots();
        int d = settings.dim();
        Map<Long, float[]> batchRows = new HashMap<>();
        long[][] slotKeys = new long[b * f][];
        for (int e = 0; e < b; e++) {
            for (ClickEvent.Field field : batch.get(e).fields()) {
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
        Arrays.fill(emb, 0, b * f * d, 0f);
        Arrays.fill(lin, 0, b * f, 0f);
        for (int e = 0; e < b; e++) {
            labels[e] = batch.get(e).label();
            for (int s = 0; s < f; s++) {
                long[] keys = slotKeys[e * f + s];
                if (keys == null) {
                    continue;
                }
                int base = (e * f + s) * d;
                for (long k : keys) {
                    float[] r = batchRows.get(k);
                    lin[e * f + s] += r[0];
                    for (int j = 0; j < d; j++) {
                        emb[base + j] += r[1 + j];
                    }
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
        applyRowGradients(b, slotKeys, batchRows, listener);
        return true;
    }

    private float[] readOrInit(long key) {
        float[] r = new float[width];
        if (!rows.read(key, r)) {
            for (int j = 0; j < settings.dim(); j++) {
                r[1 + j] = (float) (settings.initStddev() * CounterRandom.gaussian(settings.seed(), key, j));
            }
        }
        return r;
    }

    private void applyRowGradients(int b, long[][] slotKeys, Map<Long, float[]> batchRows, Listener listener) {
        int f = settings.slots();
        int d = settings.dim();
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
        double lr = settings.embeddingLearningRate();
        double l2 = settings.l2();
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
            listener.rowWritten(k);
        }
    }
}
