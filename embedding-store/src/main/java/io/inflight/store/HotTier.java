package io.inflight.store;

import io.inflight.policies.Precision;
import java.util.Arrays;

/**
 * The VHPI hot tier (FIITED Fig. 6): a {@link KeyIndex} from feature key to an entry number, the
 * entries as parallel primitive arrays (key, access count, last step, linear weight and its
 * accumulator; per chunk a 4-bit code, a slot address, an 8-bit utility and an Adagrad accumulator),
 * and {@link Slab}s of chunk slots per (width, precision) class; a slot of a quantized
 * class holds the chunk's scale ({@link Quantizer#packScale}, 2 bytes) after its value bytes. Entries are kept in an intrusive
 * least-recently-used list (int links). No per-row objects. Not thread-safe.
 *
 * <p>The arrays hold exactly the bytes {@link RowSizes} counts per row (the LRU links, free list and
 * dirty flags are container overhead, counted only in {@link #allocatedBytes}):
 * <ul>
 *   <li>{@link #code}: {@code ceil(K/2)} bytes per row, chunk {@code c} in the nibble
 *       {@code 4·(c mod 2)} of byte {@code c/2}: bit 3 set when the chunk is stored (the row mask),
 *       bits 0-2 its {@link Precision} ordinal (kept while pruned);</li>
 *   <li>{@link #accesses}: 2 bytes, saturating at {@link RowSizes#MAX_ACCESSES} (ESAPN's top
 *       frequency bucket starts at 2^15; AdaEmbed and FIITED rank by utility);</li>
 *   <li>{@link #lastStep}: the low 32 bits of the step, compared as an unsigned difference, exact for
 *       gaps below 2^32 steps;</li>
 *   <li>{@link #utility}: the 8-bit log-scale code of {@link Quantizer#util8Stochastic}, written with
 *       stochastic rounding (unbiased, so the lazy decay of {@code gamma = 0.999} per step is not
 *       rounded away);</li>
 *   <li>{@link #accumulator} and {@link #linearAcc}: Adagrad accumulators in the 16-bit format of
 *       {@link Quantizer#acc16Stochastic}, written with stochastic rounding; one per chunk, or one per
 *       row with {@link StoreConfig#rowAdagrad} ({@link #acc}).</li>
 * </ul>
 */
final class HotTier {

    final ChunkLayout layout;
    final int k;
    final int maxEntries;
    /** One Adagrad accumulator per row instead of one per chunk. */
    final boolean rowAdagrad;
    private final int accPerRow;
    final KeyIndex index;
    final Slab[] slabs;

    /** Bytes of {@link #code} per row: one nibble per chunk. */
    final int codeBytes;

    int capacity;
    long[] key;
    byte[] code;
    int[] slot;
    byte[] utility;
    short[] accumulator;
    short[] accesses;
    int[] lastStep;
    float[] linear;
    short[] linearAcc;
    boolean[] dirty;
    private int[] prev;
    private int[] next;
    private int head = -1;
    private int tail = -1;
    private int[] freeEntries;
    private int freeTop;
    private int highWater;
    private int size;

    HotTier(ChunkLayout layout, int maxEntries, boolean rowAdagrad) {
        this.layout = layout;
        this.k = layout.chunks();
        this.rowAdagrad = rowAdagrad;
        this.accPerRow = rowAdagrad ? 1 : k;
        this.codeBytes = RowSizes.codeBytes(k);
        this.maxEntries = maxEntries;
        this.index = new KeyIndex(Math.min(maxEntries, 1 << 16));
        this.slabs = new Slab[layout.widthClasses() * RowBuffer.PRECISIONS.length];
        allocateArrays(Math.min(maxEntries, 1024));
    }

    private void allocateArrays(int cap) {
        capacity = cap;
        key = Arrays.copyOf(key == null ? new long[0] : key, cap);
        code = Arrays.copyOf(code == null ? new byte[0] : code, cap * codeBytes);
        slot = Arrays.copyOf(slot == null ? new int[0] : slot, cap * k);
        utility = Arrays.copyOf(utility == null ? new byte[0] : utility, cap * k);
        accumulator = Arrays.copyOf(accumulator == null ? new short[0] : accumulator, cap * accPerRow);
        accesses = Arrays.copyOf(accesses == null ? new short[0] : accesses, cap);
        lastStep = Arrays.copyOf(lastStep == null ? new int[0] : lastStep, cap);
        linear = Arrays.copyOf(linear == null ? new float[0] : linear, cap);
        linearAcc = Arrays.copyOf(linearAcc == null ? new short[0] : linearAcc, cap);
        dirty = Arrays.copyOf(dirty == null ? new boolean[0] : dirty, cap);
        prev = Arrays.copyOf(prev == null ? new int[0] : prev, cap);
        next = Arrays.copyOf(next == null ? new int[0] : next, cap);
        freeEntries = Arrays.copyOf(freeEntries == null ? new int[0] : freeEntries, cap);
    }

    int size() {
        return size;
    }

    boolean full() {
        return size >= maxEntries;
    }

    /** The entry of {@code key} or -1 (does not touch the LRU order). */
    int find(long rowKey) {
        return index.get(rowKey);
    }

    /** Marks {@code e} most recently used. */
    void touch(int e) {
        if (head == e) {
            return;
        }
        unlink(e);
        linkFirst(e);
    }

    /** The least recently used entry, or -1 when empty. */
    int lru() {
        return tail;
    }

    /** A new entry for {@code rowKey} with every field zero and no slots; the caller fills it. */
    int allocate(long rowKey) {
        if (size >= maxEntries) {
            throw new IllegalStateException("hot tier full at " + maxEntries + " rows");
        }
        int e;
        if (freeTop > 0) {
            e = freeEntries[--freeTop];
        } else {
            if (highWater == capacity) {
                allocateArrays((int) Math.min(maxEntries, 2L * capacity));
            }
            e = highWater++;
        }
        size++;
        key[e] = rowKey;
        Arrays.fill(code, e * codeBytes, (e + 1) * codeBytes, (byte) 0);
        int base = e * k;
        for (int c = 0; c < k; c++) {
            slot[base + c] = -1;
            utility[base + c] = 0;
        }
        Arrays.fill(accumulator, e * accPerRow, (e + 1) * accPerRow, (short) 0);
        accesses[e] = 0;
        lastStep[e] = 0;
        linear[e] = 0f;
        linearAcc[e] = 0;
        dirty[e] = false;
        linkFirst(e);
        index.put(rowKey, e);
        return e;
    }

    /** Frees the slots of {@code e} and the entry itself. */
    void release(int e) {
        int base = e * k;
        for (int c = 0; c < k; c++) {
            if (stored(e, c)) {
                slab(c, precision(e, c)).release(slot[base + c]);
                slot[base + c] = -1;
            }
        }
        Arrays.fill(code, e * codeBytes, (e + 1) * codeBytes, (byte) 0);
        dirty[e] = false;
        unlink(e);
        index.remove(key[e]);
        freeEntries[freeTop++] = e;
        size--;
    }

    Slab slab(int chunk, int precisionOrdinal) {
        int cls = layout.widthClass(chunk) * RowBuffer.PRECISIONS.length + precisionOrdinal;
        Slab s = slabs[cls];
        if (s == null) {
            Precision p = RowBuffer.PRECISIONS[precisionOrdinal];
            s = new Slab(Quantizer.slotBytes(layout.width(chunk), p) + (p.quantized() ? RowSizes.SCALE_BYTES : 0), 1024);
            slabs[cls] = s;
        }
        return s;
    }

    /** Index into {@link #accumulator} of chunk {@code c} of {@code e}: the row's one with {@link #rowAdagrad}. */
    int acc(int e, int c) {
        return rowAdagrad ? e : e * k + c;
    }

    /** The 4-bit code of chunk {@code c} of {@code e}: bit 3 stored, bits 0-2 precision ordinal. */
    private int nibble(int e, int c) {
        return (code[e * codeBytes + (c >>> 1)] >>> ((c & 1) << 2)) & 0xf;
    }

    private void setNibble(int e, int c, int v) {
        int i = e * codeBytes + (c >>> 1);
        int shift = (c & 1) << 2;
        code[i] = (byte) ((code[i] & ~(0xf << shift)) | (v << shift));
    }

    /** The row mask of {@code e} (bit c = chunk c stored), assembled from the codes. */
    int mask(int e) {
        int m = 0;
        int off = e * codeBytes;
        for (int c = 0; c < k; c++) {
            if ((code[off + (c >>> 1)] & (8 << ((c & 1) << 2))) != 0) {
                m |= 1 << c;
            }
        }
        return m;
    }

    boolean stored(int e, int c) {
        return (nibble(e, c) & 8) != 0;
    }

    /** The precision ordinal of chunk {@code c} of {@code e} (kept while pruned). */
    byte precision(int e, int c) {
        return (byte) (nibble(e, c) & 7);
    }

    /** Sets the precision of chunk {@code c} of {@code e}; its slot, if any, must be released first. */
    void setPrecision(int e, int c, byte p) {
        setNibble(e, c, (nibble(e, c) & 8) | p);
    }

    float utility(int e, int c) {
        return Quantizer.util8ToFloat(utility[e * k + c]);
    }

    /** Stores utility {@code u} of chunk {@code c} of {@code e} in 8 bits, stochastically rounded by {@code r16}. */
    void setUtility(int e, int c, float u, int r16) {
        utility[e * k + c] = (byte) Quantizer.util8Stochastic(u, r16);
    }

    /** The access count of {@code e} (saturated at {@link RowSizes#MAX_ACCESSES}). */
    int accesses(int e) {
        return accesses[e] & 0xffff;
    }

    /** Adds {@code a >= 0} accesses to {@code e}, saturating at {@link RowSizes#MAX_ACCESSES}. */
    void addAccesses(int e, int a) {
        accesses[e] = (short) RowSizes.saturatedAccesses((long) accesses(e) + a);
    }

    /** Adagrad accumulator {@code i} ({@link #acc}). */
    float accumulator(int i) {
        return Quantizer.acc16ToFloat(accumulator[i]);
    }

    /** Stores Adagrad accumulator {@code i} ({@link #acc}), stochastically rounded by 15 random bits {@code r15}. */
    void setAccumulator(int i, float v, int r15) {
        accumulator[i] = (short) Quantizer.acc16Stochastic(v, r15);
    }

    /** The linear weight's Adagrad accumulator of {@code e}. */
    float linearAcc(int e) {
        return Quantizer.acc16ToFloat(linearAcc[e]);
    }

    /** Stores the linear weight's Adagrad accumulator of {@code e}, stochastically rounded by {@code r15}. */
    void setLinearAcc(int e, float v, int r15) {
        linearAcc[e] = (short) Quantizer.acc16Stochastic(v, r15);
    }

    /** Steps strictly between the last access of {@code e} and {@code step} (unsigned 32-bit difference). */
    long skippedSteps(int e, long step) {
        return Integer.toUnsignedLong((int) step - lastStep[e]) - 1;
    }

    /** The last access step of {@code e} as stored (its low 32 bits, unsigned). */
    long lastStep(int e) {
        return Integer.toUnsignedLong(lastStep[e]);
    }

    /** Allocates a slot for chunk {@code c} of {@code e} at its current precision and marks it stored. */
    void allocateSlot(int e, int c) {
        int i = e * k + c;
        slot[i] = slab(c, precision(e, c)).allocate();
        setNibble(e, c, nibble(e, c) | 8);
    }

    /** Frees the slot of chunk {@code c} of {@code e} and marks it pruned. */
    void releaseSlot(int e, int c) {
        int i = e * k + c;
        slab(c, precision(e, c)).release(slot[i]);
        slot[i] = -1;
        setNibble(e, c, nibble(e, c) & 7);
    }

    /** The scale of stored chunk {@code c} of {@code e} (0 for float precisions). */
    float scale(int e, int c) {
        Precision p = RowBuffer.PRECISIONS[precision(e, c)];
        if (!p.quantized()) {
            return 0f;
        }
        Slab s = slab(c, precision(e, c));
        int at = s.offset(slot[e * k + c]) + Quantizer.slotBytes(layout.width(c), p);
        return Quantizer.unpackScale((s.data[at] & 0xff) | ((s.data[at + 1] & 0xff) << 8), p);
    }

    private void setScale(int e, int c, Precision p, float scale) {
        Slab s = slab(c, p.ordinal());
        int at = s.offset(slot[e * k + c]) + Quantizer.slotBytes(layout.width(c), p);
        int bits = Quantizer.packScale(scale, p);
        s.data[at] = (byte) bits;
        s.data[at + 1] = (byte) (bits >>> 8);
    }

    /** Dequantized values of stored chunk {@code c} of {@code e} into {@code dst[off ..]}. */
    void decode(int e, int c, float[] dst, int off) {
        int i = e * k + c;
        byte po = precision(e, c);
        Slab s = slab(c, po);
        Quantizer.decode(s.data, s.offset(slot[i]), layout.width(c), RowBuffer.PRECISIONS[po], scale(e, c), dst, off);
    }

    /** Stores {@code src[off ..]} into stored chunk {@code c} of {@code e} with stochastic rounding. */
    void encode(int e, int c, float[] src, int off, long rngBase) {
        int i = e * k + c;
        Precision p = RowBuffer.PRECISIONS[precision(e, c)];
        Slab s = slab(c, p.ordinal());
        float scale = Quantizer.encode(src, off, layout.width(c), p, s.data, s.offset(slot[i]), rngBase, layout.offset(c));
        if (p.quantized()) {
            setScale(e, c, p, scale);
        }
    }

    /** Copies entry {@code e} into {@code row} (values byte for byte). */
    void copyOut(int e, RowBuffer row) {
        row.key = key[e];
        row.mask = mask(e);
        int base = e * k;
        for (int c = 0; c < k; c++) {
            int i = base + c;
            byte po = precision(e, c);
            row.precision[c] = po;
            row.utility[c] = utility(e, c);
            row.accumulator[c] = rowAdagrad ? 0f : accumulator(i);
            if (stored(e, c)) {
                Slab s = slab(c, po);
                System.arraycopy(s.data, s.offset(slot[i]), row.raw, row.rawOffset(c),
                        Quantizer.slotBytes(layout.width(c), RowBuffer.PRECISIONS[po]));
                row.scale[c] = scale(e, c);
            } else {
                row.scale[c] = 0f;
            }
        }
        row.rowAdagrad = rowAdagrad;
        row.rowAccumulator = rowAdagrad ? accumulator(e) : 0f;
        row.accesses = accesses(e);
        row.lastStep = lastStep[e];
        row.linear = linear[e];
        row.linearAcc = linearAcc(e);
    }

    /**
     * Fills fresh entry {@code e} from {@code row}, allocating its slots. Utilities, scales and
     * accumulators are rounded to nearest in their 1- and 2-byte forms (exact for rows this build wrote; an
     * older version's fp32 fields round) and the access count saturates.
     */
    void copyIn(int e, RowBuffer row) {
        int base = e * k;
        for (int c = 0; c < k; c++) {
            int i = base + c;
            byte po = row.precision[c];
            setPrecision(e, c, po);
            utility[i] = (byte) Quantizer.util8Nearest(row.utility[c]);
            if (!rowAdagrad) {
                // a row written with one accumulator per row gives it to each chunk
                float a = row.rowAdagrad ? ((row.mask & (1 << c)) != 0 ? row.rowAccumulator : 0f) : row.accumulator[c];
                accumulator[i] = (short) Quantizer.acc16Nearest(a);
            }
            if ((row.mask & (1 << c)) != 0) {
                allocateSlot(e, c);
                Slab s = slab(c, po);
                Precision p = RowBuffer.PRECISIONS[po];
                System.arraycopy(row.raw, row.rawOffset(c), s.data, s.offset(slot[i]), Quantizer.slotBytes(layout.width(c), p));
                if (p.quantized()) {
                    setScale(e, c, p, row.scale[c]);
                }
            }
        }
        if (rowAdagrad) {
            accumulator[e] = (short) Quantizer.acc16Nearest(row.rowAdagrad ? row.rowAccumulator : row.meanAccumulator());
        }
        accesses[e] = (short) RowSizes.saturatedAccesses(row.accesses);
        lastStep[e] = row.lastStep;
        linear[e] = row.linear;
        linearAcc[e] = (short) Quantizer.acc16Nearest(row.linearAcc);
    }

    /** Entry numbers in use (a new array), for iteration. */
    int[] entries() {
        int[] out = new int[size];
        int n = 0;
        for (int e = head; e >= 0; e = next[e]) {
            out[n++] = e;
        }
        return out;
    }

    void clear() {
        index.clear();
        for (Slab s : slabs) {
            if (s != null) {
                s.clear();
            }
        }
        head = -1;
        tail = -1;
        freeTop = 0;
        highWater = 0;
        size = 0;
    }

    /** Bytes held by every array of this tier (index, entries at capacity, slabs). */
    long allocatedBytes() {
        // RowSizes's fields (the scales live in the slabs), then dirty flag, LRU links and free list.
        long perEntry = RowSizes.fixedMetadataBytes(k, rowAdagrad) + 1 + 4 + 4 + 4;
        long bytes = index.allocatedBytes() + perEntry * capacity;
        for (Slab s : slabs) {
            if (s != null) {
                bytes += s.allocatedBytes();
            }
        }
        return bytes;
    }

    private void linkFirst(int e) {
        prev[e] = -1;
        next[e] = head;
        if (head >= 0) {
            prev[head] = e;
        }
        head = e;
        if (tail < 0) {
            tail = e;
        }
    }

    private void unlink(int e) {
        int p = prev[e];
        int n = next[e];
        if (p >= 0) {
            next[p] = n;
        } else {
            head = n;
        }
        if (n >= 0) {
            prev[n] = p;
        } else {
            tail = p;
        }
    }

    static Precision precisionOf(byte ordinal) {
        return RowBuffer.PRECISIONS[ordinal];
    }
}
