package io.inflight.store;

import io.inflight.policies.UtilityRule;
import java.util.Arrays;

/**
 * Row reads and the training step of an {@link EmbeddingStore}: gather, and scatter with the
 * FIITED utility update and row-wise Adagrad (the contracts are {@link RowAccess}'s). Owns its
 * scratch buffers; reads and writes the rows of {@link TieredRows}. Not thread-safe.
 */
final class RowUpdates {

    private final TieredRows rows;
    private final StoreConfig config;
    private final ChunkLayout layout;
    private final HotTier hot;
    private final int k;
    private final int d;
    private final UtilityRule utilityRule;
    private final float[] work;
    private final float[] gradWork;

    RowUpdates(TieredRows rows) {
        this.rows = rows;
        this.config = rows.config;
        this.layout = rows.layout;
        this.hot = rows.hot;
        this.k = rows.k;
        this.d = rows.d;
        this.utilityRule = config.utility();
        this.work = new float[d];
        this.gradWork = new float[d];
    }

    void readNew(long key, float[] out, int o) {
        rows.initInto(config.newRowInit(), key, 0, 0, d, out, o);
        int newRowMask = rows.newRowMask;
        if (newRowMask != (1 << k) - 1) {
            for (int c = 0; c < k; c++) {
                if ((newRowMask & (1 << c)) == 0) {
                    int off = o + layout.offset(c);
                    Arrays.fill(out, off, off + layout.width(c), 0f);
                }
            }
        }
        out[o + d] = 0f;
    }

    void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        rows.ensureOpen();
        int stride = d + 1;
        rows.checkBuffer("out", out, count, stride);
        SharedRows shared = rows.shared;
        for (int i = 0; i < count; i++) {
            long key = keys[i];
            int o = i * stride;
            int e = rows.lookup(key);
            if (e < 0) {
                if (shared != null) {
                    shared.read(key, 0, d, out, o);
                    out[o + d] = shared.linear(key);
                } else {
                    readNew(key, out, o);
                }
                if (masks != null) {
                    masks[i] = -1;
                }
                if (accesses != null) {
                    accesses[i] = 0;
                }
                continue;
            }
            int m = hot.mask(e);
            if (masks != null) {
                masks[i] = m;
            }
            if (accesses != null) {
                accesses[i] = hot.accesses(e);
            }
            for (int c = 0; c < k; c++) {
                int off = o + layout.offset(c);
                if ((m & (1 << c)) != 0) {
                    hot.decode(e, c, out, off);
                } else if (shared != null) {
                    shared.read(key, layout.offset(c), layout.width(c), out, off);
                } else {
                    Arrays.fill(out, off, off + layout.width(c), 0f);
                }
            }
            out[o + d] = hot.linear[e];
        }
    }

    void scatter(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial) {
        rows.ensureOpen();
        int stride = d + 1;
        rows.checkBuffer("grads", grads, count, stride);
        if (initial != null) {
            rows.checkBuffer("initial", initial, count, stride);
        }
        for (int i = 0; i < count * stride; i++) {
            if (!Float.isFinite(grads[i])) {
                throw new IllegalArgumentException("store " + rows.name + ": gradient " + grads[i] + " of row key "
                        + keys[i / stride] + " (batch position " + i / stride + ", dimension " + i % stride
                        + ") is not finite; batch not applied");
            }
        }
        SharedRows shared = rows.shared;
        float lr = config.learningRate();
        float l2 = config.l2();
        float eps = config.adagradEps();
        for (int i = 0; i < count; i++) {
            long key = keys[i];
            int a = accesses == null ? 1 : accesses[i];
            int g0 = i * stride;
            boolean fresh = false;
            int e = rows.lookup(key);
            if (e < 0) {
                e = rows.createRow(key);
                fresh = true;
                if (initial != null) {
                    hot.linear[e] = initial[g0 + d];
                }
            }
            // A row is updated once per step (its keys are distinct within a scatter), so the step keys
            // its draws: values 0 .. D-1, utilities D .. D+K-1, then the accumulators (see acc16 below).
            long rng = CounterRng.bits(config.seed(), key, step);
            int base = e * k;
            // Eq. 1 decays once per step; steps that did not touch the row are folded in here (lazily).
            long skipped = fresh ? 0 : hot.skippedSteps(e, step);
            double decay = skipped > 0 ? Math.pow(utilityRule.gamma(), skipped) : 1.0;
            int m = hot.mask(e);
            int rowDims = 0;
            float rowSq = 0f;
            for (int c = 0; c < k; c++) {
                int off = layout.offset(c);
                int w = layout.width(c);
                float sq = 0f;
                for (int j = 0; j < w; j++) {
                    float g = grads[g0 + off + j];
                    sq += g * g;
                }
                float u = hot.utility(e, c);
                if (skipped > 0) {
                    u = (float) (u * decay);
                }
                // 8-bit code with stochastic rounding: draw D + c of the row's stream (the values use 0 .. D-1).
                hot.setUtility(e, c, utilityRule.update(u, a, (float) Math.sqrt(sq)), (int) (CounterRng.at(rng, d + c) >>> 48));
                if ((m & (1 << c)) == 0) {
                    if (shared != null) {
                        shared.accumulate(key, grads, g0, off, w, false);
                    }
                    continue;
                }
                if (hot.rowAdagrad) {
                    // one accumulator for the row: collect the stored chunks, update them all below
                    chunkValues(fresh, initial, g0, key, e, c, off);
                    for (int j = 0; j < w; j++) {
                        float gj = grads[g0 + off + j] + l2 * work[off + j];
                        gradWork[off + j] = gj;
                        rowSq += gj * gj;
                    }
                    rowDims += w;
                    continue;
                }
                chunkValues(fresh, initial, g0, key, e, c, 0);
                adagrad(hot.acc(e, c), key, off, w, grads, g0 + off, lr, l2, eps, acc16(rng, 2 + c));
                hot.encode(e, c, work, 0, rng);
            }
            if (rowDims > 0) {
                rowAdagrad(e, key, m, rowSq / rowDims, lr, eps, rng);
            }
            float lg = grads[g0 + d] + l2 * hot.linear[e];
            float linAcc = hot.linearAcc(e) + lg * lg;
            hot.setLinearAcc(e, linAcc, acc16(rng, 0));
            hot.linear[e] -= lr * lg / ((float) Math.sqrt(linAcc) + eps);
            hot.addAccesses(e, a);
            hot.lastStep[e] = (int) step;
            rows.log.markDirty(e);
        }
        if (shared != null) {
            shared.apply();
        }
    }

    /**
     * Adagrad with one accumulator per row ({@link StoreConfig#rowAdagrad}): the stored chunks' values
     * are in {@link #work} and their gradients (with L2) in {@link #gradWork}, both at the chunks'
     * dimension offsets; {@code meanSq} is the mean squared gradient over the stored dimensions.
     */
    private void rowAdagrad(int e, long key, int m, float meanSq, float lr, float eps, long rng) {
        float acc = hot.accumulator(e) + meanSq;
        hot.setAccumulator(e, acc, acc16(rng, 1));
        float rate = lr / ((float) Math.sqrt(acc) + eps);
        for (int c = 0; c < k; c++) {
            if ((m & (1 << c)) == 0) {
                continue;
            }
            int off = layout.offset(c);
            for (int j = off; j < off + layout.width(c); j++) {
                float v = work[j] - rate * gradWork[j];
                if (!Float.isFinite(v)) {
                    throw new StoreException(rows.name, key, "update made dimension " + j + " non-finite");
                }
                work[j] = v;
            }
            hot.encode(e, c, work, off, rng);
        }
    }

    /**
     * Chunk {@code c}'s values before the step into {@link #work} at {@code dst}: a row the scatter
     * creates starts from {@code initial} (at {@code g0}) when given, else from the store's own
     * initialisation; a stored row's chunk is decoded.
     */
    private void chunkValues(boolean fresh, float[] initial, int g0, long key, int e, int c, int dst) {
        int off = layout.offset(c);
        int w = layout.width(c);
        if (fresh && initial != null) {
            System.arraycopy(initial, g0 + off, work, dst, w);
        } else if (fresh) {
            rows.initInto(config.newRowInit(), key, 0, off, w, work, dst);
        } else {
            hot.decode(e, c, work, dst);
        }
    }

    /**
     * The 15 random bits that round accumulator {@code j} of a row's step (0 the linear one, 1 the
     * row's, 2 + c chunk c's): draw {@code D + K + j} of the step's stream. The step's update uses
     * the exact sum; the stored accumulator is its unbiased 16-bit rounding.
     */
    private int acc16(long rng, int j) {
        return (int) (CounterRng.at(rng, d + k + j) >>> 49);
    }

    /** Chunk-wise Adagrad with L2 on the chunk values in {@link #work}, accumulator {@code i} ({@link HotTier#acc}). */
    private void adagrad(int i, long key, int off, int w, float[] grads, int g, float lr, float l2, float eps, int r15) {
        float s2 = 0f;
        for (int j = 0; j < w; j++) {
            float gj = grads[g + j] + l2 * work[j];
            gradWork[j] = gj;
            s2 += gj * gj;
        }
        float acc = hot.accumulator(i) + s2 / w;
        hot.setAccumulator(i, acc, r15);
        float rate = lr / ((float) Math.sqrt(acc) + eps);
        for (int j = 0; j < w; j++) {
            float v = work[j] - rate * gradWork[j];
            if (!Float.isFinite(v)) {
                throw new StoreException(rows.name, key, "update made dimension " + (off + j) + " non-finite");
            }
            work[j] = v;
        }
    }

    void scatterShared(long key, float[] grads, int off) {
        SharedRows shared = rows.shared;
        if (shared != null) {
            shared.accumulate(key, grads, off, 0, d, true);
        }
    }
}
