package io.inflight.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Shared hashed rows (CAFE, SIGMOD 2024): {@code H} full-precision rows that every feature without a
 * row of its own, and every pruned chunk of a stored row, reads and trains: feature {@code key} uses
 * row {@code hash(key) mod H}. So a feature refused by admission, evicted, or pruned reads a
 * trained value instead of zeros (mode {@code hash}: every feature does). One table for all fields: keys are already
 * field-salted 64-bit hashes, so collisions spread over fields like over values.
 *
 * <p>Training is row-wise Adagrad like the store's own rows: gradients of one step are summed per
 * shared row ({@link #accumulate}) and applied once ({@link #apply}), in ascending row order. The sums
 * are float sums in the order of the keys, which the trainer always passes ascending, so a replay
 * reproduces every bit. Each row holds D values, the linear weight and
 * two Adagrad accumulators (4 bytes each, {@link #bytes()}); they count in
 * the store's bytes and so in the one budget. Not thread-safe.
 */
public final class SharedRows {

    private static final long SLOT_SALT = 0x5AA7ED0C0FFEEL;
    private static final long INIT_SALT = 0x5AA7ED1417L;

    private final int rows;
    private final int d;
    private final int stride;
    private final float lr;
    private final float l2;
    private final float eps;
    /** Per row: D values then the linear weight. */
    private final float[] values;
    /** Per row: the embedding's and the linear weight's Adagrad accumulators. */
    private final float[] acc;
    private final float[] grad;
    /** Per row: whether a gradient was accumulated this step; the touched rows, unsorted. */
    private final boolean[] touched;
    private int[] touchedList = new int[256];
    private int touchedCount;

    /**
     * @param rows   H, at least 1
     * @param config the store's optimizer settings, seed and initialisation scale
     */
    public SharedRows(int rows, StoreConfig config) {
        if (rows < 1) {
            throw new IllegalArgumentException("shared rows must be >= 1, got " + rows);
        }
        this.rows = rows;
        this.d = config.dim();
        this.stride = d + 1;
        this.lr = config.learningRate();
        this.l2 = config.l2();
        this.eps = config.adagradEps();
        this.values = new float[rows * stride];
        this.acc = new float[rows * 2];
        this.grad = new float[rows * stride];
        this.touched = new boolean[rows];
        long base = CounterRng.bits(config.seed() ^ INIT_SALT, 0, 0);
        float s = config.initScale();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) {
                values[r * stride + j] = s * (2f * CounterRng.unit(CounterRng.at(base, r * stride + j)) - 1f);
            }
        }
    }

    /** Bytes a table of {@code rows} shared rows of dimension {@code dim} holds. */
    public static long bytesFor(long rows, int dim) {
        return rows * io.inflight.policies.PolicySettings.sharedRowBytes(dim);
    }

    public int rows() {
        return rows;
    }

    /** What this table holds: values, linear weights and accumulators. */
    public long bytes() {
        return bytesFor(rows, d);
    }

    /** The shared row of {@code key}. */
    public int slot(long key) {
        long h = (key ^ SLOT_SALT) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        return (int) Math.floorMod(h, (long) rows);
    }

    /** Copies dimensions {@code [dimOff, dimOff + n)} of {@code key}'s shared row to {@code dst[dstOff ..]}. */
    public void read(long key, int dimOff, int n, float[] dst, int dstOff) {
        System.arraycopy(values, slot(key) * stride + dimOff, dst, dstOff, n);
    }

    /** The linear weight of {@code key}'s shared row. */
    public float linear(long key) {
        return values[slot(key) * stride + d];
    }

    /**
     * Adds {@code grads[off + dimOff .. off + dimOff + n)} to the gradient of {@code key}'s shared row
     * this step, and the linear gradient {@code grads[off + d]} when {@code withLinear}.
     */
    public void accumulate(long key, float[] grads, int off, int dimOff, int n, boolean withLinear) {
        int r = slot(key);
        if (!touched[r]) {
            touched[r] = true;
            if (touchedCount == touchedList.length) {
                touchedList = Arrays.copyOf(touchedList, touchedCount * 2);
            }
            touchedList[touchedCount++] = r;
        }
        int base = r * stride;
        for (int j = 0; j < n; j++) {
            grad[base + dimOff + j] += grads[off + dimOff + j];
        }
        if (withLinear) {
            grad[base + d] += grads[off + d];
        }
    }

    /** Applies the step's accumulated gradients (row-wise Adagrad with L2), in ascending row order. */
    public void apply() {
        if (touchedCount == 0) {
            return;
        }
        Arrays.sort(touchedList, 0, touchedCount);
        for (int t = 0; t < touchedCount; t++) {
            int r = touchedList[t];
            int base = r * stride;
            float s2 = 0f;
            for (int j = 0; j < d; j++) {
                float g = grad[base + j] + l2 * values[base + j];
                grad[base + j] = g;
                s2 += g * g;
            }
            if (s2 > 0f) {
                float a = acc[2 * r] + s2 / d;
                acc[2 * r] = a;
                float rate = lr / ((float) Math.sqrt(a) + eps);
                for (int j = 0; j < d; j++) {
                    values[base + j] -= rate * grad[base + j];
                }
            }
            float lg = grad[base + d];
            if (lg != 0f) {
                lg += l2 * values[base + d];
                float la = acc[2 * r + 1] + lg * lg;
                acc[2 * r + 1] = la;
                values[base + d] -= lr * lg / ((float) Math.sqrt(la) + eps);
            }
            Arrays.fill(grad, base, base + stride, 0f);
            touched[r] = false;
        }
        touchedCount = 0;
    }

    /** The whole table (values and accumulators), as {@link #importState} reads it. */
    public byte[] exportState() {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * (values.length + acc.length));
        b.putInt(rows).putInt(d);
        for (float v : values) {
            b.putFloat(v);
        }
        for (float v : acc) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Loads what {@link #exportState} wrote; refuses a table of another shape. */
    public void importState(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        int r = b.getInt();
        int dim = b.getInt();
        if (r != rows || dim != d) {
            throw new IllegalStateException("stored shared rows are " + r + " x D=" + dim + ", this table is " + rows
                    + " x D=" + d + "; train changed settings under a new inflight.application.id");
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = b.getFloat();
        }
        for (int i = 0; i < acc.length; i++) {
            acc[i] = b.getFloat();
        }
    }

    /** Adds the table to a model hash. */
    public void digest(java.security.MessageDigest md) {
        md.update(exportState());
    }
}
