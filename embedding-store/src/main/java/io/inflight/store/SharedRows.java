package io.inflight.store;

import io.inflight.policies.PolicySettings;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.BitSet;

/**
 * Shared hashed rows (CAFE, SIGMOD 2024): {@code H} rows that every feature without a
 * row of its own, and every pruned chunk of a stored row, reads and trains: feature {@code key} uses
 * row {@code hash(key) mod H}. So a feature refused by admission, evicted, or pruned reads a
 * trained value instead of zeros (mode {@code hash}: every feature does). One table for all fields: keys are already
 * field-salted 64-bit hashes, so collisions spread over fields like over values.
 *
 * <p>Training is row-wise Adagrad like the store's own rows: gradients of one step are summed per
 * shared row ({@link #accumulate}) and applied once ({@link #apply}), in ascending row order. The sums
 * are float sums in the order of the keys, which the trainer always passes ascending, so a replay
 * reproduces every bit. Each row holds D values as int8 codes with one binary16 scale (the row's
 * largest magnitude over 127, rounded up, recomputed at each write; codes rounded stochastically,
 * keyed by seed, row, element and step, so a replay reproduces every bit), the linear weight in
 * binary16 and two Adagrad accumulators in the store's 16-bit accumulator form: D + 8 bytes
 * ({@link PolicySettings#sharedRowBytes}: 24 at D = 16, 42 with binary16 values and fp32 accumulators,
 * so 1.75x the rows in the same bytes), counted in the store's bytes and so in the one budget.
 * {@link #copyRows} and {@link #read} hand out floats. Not thread-safe.
 */
public final class SharedRows {

    private static final long SLOT_SALT = 0x5AA7ED0C0FFEEL;
    private static final long INIT_SALT = 0x5AA7ED1417L;
    private static final long ROUND_SALT = 0x5AA7ED40D5L;
    /** First int of {@link #exportState}: int8 values with a binary16 scale per row, 16-bit accumulators. */
    private static final int FORMAT = -3;
    /** Largest int8 code of a value. */
    private static final int QMAX = 127;

    private int rows;
    private final int d;
    private final int stride;
    private final float lr;
    private final float l2;
    private final float eps;
    /**
     * Per row: D values as int8 codes of the row's scale; a write rounds stochastically (keyed by
     * seed, row, element and step), so a replay reproduces every bit.
     */
    private byte[] codes;
    /**
     * Per row: the scale (binary16 bits; the row's largest magnitude over 127, rounded up, recomputed
     * at each write) and the linear weight (binary16 bits).
     */
    private short[] meta;
    /** One row's values, decoded for an update. */
    private final float[] scratch;
    private final long roundSeed;
    /** Steps applied so far: keys the stochastic rounding. */
    private long applied;
    /** Per row: the embedding's and the linear weight's Adagrad accumulators, in the 16-bit accumulator format. */
    private short[] acc;
    private float[] grad;
    /** Per row: whether a gradient was accumulated this step; the touched rows, unsorted. */
    private boolean[] touched;
    private int[] touchedList = new int[256];
    private int touchedCount;
    /** Per field: the gate a feature's shared row is scaled by, its Adagrad accumulator, and this step's gradient. */
    private final float[] gate;
    private final float[] gateAcc;
    private final float[] gateGrad;
    /** Accesses served by the shared rows and by rows of their own since the last window, and the smoothed share. */
    private long servedShared;
    private long servedOwn;
    private double servedShare = Double.NaN;
    /**
     * Rows whose values changed since {@link #clearChanged} (for publication only: not part of the
     * state, the hash or the bytes). Everything counts as changed after creation, a resize or an import.
     */
    private BitSet changed = new BitSet();

    /**
     * @param rows   H, at least 1
     * @param config the store's optimizer settings, seed and initialisation scale
     */
    public SharedRows(int rows, StoreConfig config) {
        this(rows, 0, config);
    }

    /**
     * @param rows   H, at least 1
     * @param fields gated fields (0 or more): see {@link #gate}
     * @param config the store's optimizer settings, seed and initialisation scale
     */
    public SharedRows(int rows, int fields, StoreConfig config) {
        if (rows < 1) {
            throw new IllegalArgumentException("shared rows must be >= 1, got " + rows);
        }
        if (fields < 0) {
            throw new IllegalArgumentException("gated fields must be >= 0, got " + fields);
        }
        this.gate = new float[fields];
        this.gateAcc = new float[fields];
        this.gateGrad = new float[fields];
        Arrays.fill(gate, INITIAL_GATE);
        this.rows = rows;
        this.d = config.dim();
        this.stride = d + 1;
        this.lr = config.learningRate();
        this.l2 = config.l2();
        this.eps = config.adagradEps();
        this.codes = new byte[rows * d];
        this.meta = new short[rows * 2];
        this.scratch = new float[d];
        this.roundSeed = config.seed() ^ ROUND_SALT;
        this.acc = new short[rows * 2];
        this.grad = new float[rows * stride];
        this.touched = new boolean[rows];
        long base = CounterRng.bits(config.seed() ^ INIT_SALT, 0, 0);
        float s = config.initScale();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < d; j++) {
                scratch[j] = s * (2f * CounterRng.unit(CounterRng.at(base, r * stride + j)) - 1f);
            }
            store(r, scratch, 0L, false);
        }
        changed.set(0, rows);
    }

    /**
     * Writes {@code v[0 .. d)} as row {@code r}'s codes: the scale is the largest magnitude over 127,
     * rounded up to binary16 (so no code clips), each code rounded stochastically by the stream at
     * {@code round}, or to nearest when not {@code stochastic}.
     */
    private void store(int r, float[] v, long round, boolean stochastic) {
        float maxAbs = 0f;
        for (int j = 0; j < d; j++) {
            maxAbs = Math.max(maxAbs, Math.abs(v[j]));
        }
        int scaleBits = Quantizer.halfCeil(maxAbs / QMAX);
        meta[2 * r] = (short) scaleBits;
        float scale = Quantizer.halfToFloat(scaleBits);
        int base = r * d;
        if (scale == 0f) {
            Arrays.fill(codes, base, base + d, (byte) 0);
            return;
        }
        for (int j = 0; j < d; j++) {
            float u = stochastic ? CounterRng.unit(CounterRng.at(round, j)) : 0.5f;
            int q = (int) Math.floor(v[j] / scale + u);
            codes[base + j] = (byte) Math.max(-QMAX, Math.min(QMAX, q));
        }
    }

    private float scale(int r) {
        return Quantizer.halfToFloat(meta[2 * r] & 0xffff);
    }

    private float weight(int r) {
        return Quantizer.halfToFloat(meta[2 * r + 1] & 0xffff);
    }

    private float accumulator(int i) {
        return Quantizer.acc16ToFloat(acc[i] & 0xffff);
    }

    /** Bytes a table of {@code rows} shared rows of dimension {@code dim} holds (without gates). */
    public static long bytesFor(long rows, int dim) {
        return rows * PolicySettings.sharedRowBytes(dim);
    }

    /** What a field's gate starts at. */
    public static final float INITIAL_GATE = 0.5f;
    /** Bytes per gated field: the gate and its accumulator. */
    public static final int GATE_BYTES = 8;

    public int fields() {
        return gate.length;
    }

    /**
     * The gate of {@code field}, in [0, 1]: a feature of that field that reads its shared row for want
     * of a row of its own reads the shared row times the gate, a scalar learned with the model
     * (Adagrad on {@code d loss / d gate}, {@link #accumulateGate}). Where a field's shared rows only
     * mix unrelated features the gate learns to shrink them towards zeros; where they carry signal it
     * opens. Measured: a fixed gate of 1 lost up to 0.02 AUC against reading zeros on a stream of
     * independent feature effects, a fixed 0.25 lost 0.01 against 1 on talkingdata at 1/200.
     */
    public float gate(int field) {
        return gate[field];
    }

    /** Counts feature accesses of one step: {@code shared} served by these rows, {@code own} by rows of their own. */
    public void countAccesses(long shared, long own) {
        servedShared += shared;
        servedOwn += own;
    }

    /** See {@code EmbeddingTable#takeSharedServedShare}. */
    public double takeServedShare() {
        long n = servedShared + servedOwn;
        if (n > 0) {
            double now = (double) servedShared / n;
            servedShare = Double.isNaN(servedShare) ? now : 0.5 * servedShare + 0.5 * now;
        }
        servedShared = 0;
        servedOwn = 0;
        return servedShare;
    }

    /**
     * Doubles or halves H (a power of two; keys map by {@code hash mod H}): doubling copies row i to
     * rows i and i + H, so every key reads what it read before; halving averages rows i and i + H/2
     * (values and accumulators). Between steps only.
     */
    public void resize(int newRows) {
        if (Integer.bitCount(rows) != 1 || !(newRows == 2 * rows || 2 * newRows == rows)) {
            throw new IllegalArgumentException("shared rows resize from " + rows + " to " + newRows
                    + ": only a power of two to its double or half");
        }
        if (touchedCount != 0) {
            throw new IllegalStateException("shared rows resized with gradients pending");
        }
        byte[] c = new byte[newRows * d];
        short[] m = new short[newRows * 2];
        short[] a = new short[newRows * 2];
        if (newRows > rows) {
            for (int r = 0; r < newRows; r++) {
                int from = r % rows;
                System.arraycopy(codes, from * d, c, r * d, d);
                System.arraycopy(meta, 2 * from, m, 2 * r, 2);
                System.arraycopy(acc, 2 * from, a, 2 * r, 2);
            }
            codes = c;
            meta = m;
        } else {
            byte[] oldCodes = codes;
            short[] oldMeta = meta;
            float[] lo = new float[d];
            float[] hi = new float[d];
            codes = c;
            meta = m;
            for (int r = 0; r < newRows; r++) {
                int h = r + newRows;
                if (oldMeta[2 * r] == oldMeta[2 * h]
                        && Arrays.equals(oldCodes, r * d, r * d + d, oldCodes, h * d, h * d + d)) {
                    System.arraycopy(oldCodes, r * d, codes, r * d, d); // the mean of a row and its copy: itself
                    meta[2 * r] = oldMeta[2 * r];
                } else {
                    decode(oldCodes, oldMeta, r, lo, 0);
                    decode(oldCodes, oldMeta, h, hi, 0);
                    for (int j = 0; j < d; j++) {
                        scratch[j] = 0.5f * (lo[j] + hi[j]);
                    }
                    store(r, scratch, 0L, false);
                }
                float w = 0.5f * (Quantizer.halfToFloat(oldMeta[2 * r + 1] & 0xffff)
                        + Quantizer.halfToFloat(oldMeta[2 * h + 1] & 0xffff));
                meta[2 * r + 1] = (short) Quantizer.halfStochastic(w, 0.5f);
                for (int k = 0; k < 2; k++) {
                    a[2 * r + k] = (short) Quantizer.acc16Nearest(0.5f * (accumulator(2 * r + k) + accumulator(2 * h + k)));
                }
            }
        }
        rows = newRows;
        acc = a;
        grad = new float[newRows * stride];
        touched = new boolean[newRows];
        changed = new BitSet(newRows);
        changed.set(0, newRows);
    }

    /** Adds {@code g}, this step's gradient of the loss with respect to {@code field}'s gate. */
    public void accumulateGate(int field, float g) {
        gateGrad[field] += g;
    }

    public int rows() {
        return rows;
    }

    /** What this table holds: values, linear weights and accumulators, and the gates. */
    public long bytes() {
        return bytesFor(rows, d) + (long) GATE_BYTES * gate.length;
    }

    /** The shared row of {@code key}. */
    public int slot(long key) {
        return slot(key, rows);
    }

    /**
     * The shared row of {@code key} in a table of {@code rows} (H) rows: what every reader of shared
     * rows (the trainer, a serving replica) maps a key to.
     */
    public static int slot(long key, int rows) {
        long h = (key ^ SLOT_SALT) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 32;
        return (int) Math.floorMod(h, (long) rows);
    }

    /** Whether a row of {@code [from, to)} changed since {@link #clearChanged}. */
    public boolean changedIn(int from, int to) {
        int next = changed.nextSetBit(from);
        return next >= 0 && next < to;
    }

    /** Forgets which rows changed (after they were published). */
    public void clearChanged() {
        changed.clear();
    }

    /** Copies rows {@code [from, from + n)}, each D values then its linear weight, to {@code dst[off ..]}. */
    public void copyRows(int from, int n, float[] dst, int off) {
        for (int r = from; r < from + n; r++) {
            int at = off + (r - from) * stride;
            decode(codes, meta, r, dst, at);
            dst[at + d] = weight(r);
        }
    }

    /** Row {@code r}'s D values held in {@code c} and {@code m}, decoded into {@code dst[off .. off + D)}. */
    private void decode(byte[] c, short[] m, int r, float[] dst, int off) {
        float scale = Quantizer.halfToFloat(m[2 * r] & 0xffff);
        for (int j = 0; j < d; j++) {
            dst[off + j] = c[r * d + j] * scale;
        }
    }

    /** A copy of the gates, one per gated field (empty when ungated). */
    public float[] gates() {
        return gate.clone();
    }

    /** Copies dimensions {@code [dimOff, dimOff + n)} of {@code key}'s shared row to {@code dst[dstOff ..]}. */
    public void read(long key, int dimOff, int n, float[] dst, int dstOff) {
        int r = slot(key);
        float scale = scale(r);
        int from = r * d + dimOff;
        for (int j = 0; j < n; j++) {
            dst[dstOff + j] = codes[from + j] * scale;
        }
    }

    /** The linear weight of {@code key}'s shared row. */
    public float linear(long key) {
        return weight(slot(key));
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
        for (int f = 0; f < gate.length; f++) {
            float g = gateGrad[f];
            if (g != 0f) {
                float a = gateAcc[f] + g * g;
                gateAcc[f] = a;
                gate[f] = Math.min(1f, Math.max(0f, gate[f] - lr * g / ((float) Math.sqrt(a) + eps)));
                gateGrad[f] = 0f;
            }
        }
        if (touchedCount == 0) {
            return;
        }
        long step = applied++;
        Arrays.sort(touchedList, 0, touchedCount);
        for (int t = 0; t < touchedCount; t++) {
            int r = touchedList[t];
            int base = r * stride;
            float s2 = 0f;
            long round = CounterRng.bits(roundSeed, r, step);
            decode(codes, meta, r, scratch, 0);
            for (int j = 0; j < d; j++) {
                float g = grad[base + j] + l2 * scratch[j];
                grad[base + j] = g;
                s2 += g * g;
            }
            if (s2 > 0f) {
                float a = accumulator(2 * r) + s2 / d;
                acc[2 * r] = (short) Quantizer.acc16Stochastic(a, (int) (CounterRng.at(round, stride) >>> 49));
                float rate = lr / ((float) Math.sqrt(a) + eps);
                for (int j = 0; j < d; j++) {
                    scratch[j] -= rate * grad[base + j];
                }
                store(r, scratch, round, true);
            }
            float lg = grad[base + d];
            if (lg != 0f) {
                float w = weight(r);
                lg += l2 * w;
                float la = accumulator(2 * r + 1) + lg * lg;
                acc[2 * r + 1] = (short) Quantizer.acc16Stochastic(la, (int) (CounterRng.at(round, stride + 1) >>> 49));
                meta[2 * r + 1] = (short) Quantizer.halfStochastic(w - lr * lg / ((float) Math.sqrt(la) + eps),
                        CounterRng.unit(CounterRng.at(round, d)));
            }
            Arrays.fill(grad, base, base + stride, 0f);
            touched[r] = false;
            changed.set(r);
        }
        touchedCount = 0;
    }

    /** The whole table (values and accumulators), as {@link #importState} reads it. */
    public byte[] exportState() {
        boolean gated = gate.length > 0;
        ByteBuffer b = ByteBuffer.allocate(20 + codes.length + 2 * meta.length + 2 * acc.length
                + (gated ? 4 + 8 * gate.length + 24 : 0));
        b.putInt(FORMAT).putInt(rows).putInt(d).putLong(applied);
        b.put(codes);
        for (short v : meta) {
            b.putShort(v);
        }
        for (short v : acc) {
            b.putShort(v);
        }
        if (gated) { // an ungated table keeps the earlier form
            b.putInt(gate.length);
            for (int f = 0; f < gate.length; f++) {
                b.putFloat(gate[f]).putFloat(gateAcc[f]);
            }
            b.putLong(servedShared).putLong(servedOwn).putDouble(servedShare);
        }
        return b.array();
    }

    /** Loads what {@link #exportState} wrote; refuses a table of another shape. */
    public void importState(byte[] state) {
        ByteBuffer b = ByteBuffer.wrap(state);
        if (state.length < 20 || b.getInt() != FORMAT) {
            throw new IllegalStateException("stored shared rows are of another format (before int8 values); "
                    + "train changed settings under a new inflight.application.id");
        }
        int r = b.getInt();
        int dim = b.getInt();
        if (r != rows && dim == d && Integer.bitCount(r) == 1 && Integer.bitCount(rows) == 1) {
            rows = r; // re-sized by passes (powers of two)
            codes = new byte[r * d];
            meta = new short[r * 2];
            acc = new short[r * 2];
            grad = new float[r * stride];
            touched = new boolean[r];
        }
        if (r != rows || dim != d) {
            throw new IllegalStateException("stored shared rows are " + r + " x D=" + dim + ", this table is " + rows
                    + " x D=" + d + "; train changed settings under a new inflight.application.id");
        }
        applied = b.getLong();
        b.get(codes);
        for (int i = 0; i < meta.length; i++) {
            meta[i] = b.getShort();
        }
        changed.set(0, rows);
        for (int i = 0; i < acc.length; i++) {
            acc[i] = b.getShort();
        }
        int fields = b.remaining() >= 4 ? b.getInt() : 0;
        if (fields != gate.length) {
            throw new IllegalStateException("stored shared rows gate " + fields + " fields, this table " + gate.length
                    + "; train changed settings under a new inflight.application.id");
        }
        for (int f = 0; f < fields; f++) {
            gate[f] = b.getFloat();
            gateAcc[f] = b.getFloat();
        }
        if (fields > 0) {
            servedShared = b.getLong();
            servedOwn = b.getLong();
            servedShare = b.getDouble();
        }
    }

    /** Adds the table to a model hash. */
    public void digest(MessageDigest md) {
        md.update(exportState());
    }
}
