package io.inflight.store;

import io.inflight.policies.Precision;
import java.util.Arrays;

/**
 * The VHPI hot tier (FIITED Fig. 6): a {@link KeyIndex} from feature key to an entry number, the
 * entries as parallel primitive arrays (K chunk slot addresses, K precisions, K utilities, K Adagrad
 * accumulators, K scales, mask, access count, last step, update counter, linear weight and its
 * accumulator), and {@link Slab}s of chunk slots per (width, precision) class. Entries are kept in
 * an intrusive least-recently-used list (int links). No per-row objects. Not thread-safe.
 */
final class HotTier {

    final ChunkLayout layout;
    final int k;
    final int maxEntries;
    final KeyIndex index;
    final Slab[] slabs;

    int capacity;
    long[] key;
    int[] mask;
    byte[] precision;
    int[] slot;
    float[] scale;
    float[] utility;
    float[] accumulator;
    long[] accesses;
    long[] lastStep;
    long[] updates;
    float[] linear;
    float[] linearAcc;
    boolean[] dirty;
    private int[] prev;
    private int[] next;
    private int head = -1;
    private int tail = -1;
    private int[] freeEntries;
    private int freeTop;
    private int highWater;
    private int size;

    HotTier(ChunkLayout layout, int maxEntries) {
        this.layout = layout;
        this.k = layout.chunks();
        this.maxEntries = maxEntries;
        this.index = new KeyIndex(Math.min(maxEntries, 1 << 16));
        this.slabs = new Slab[layout.widthClasses() * RowBuffer.PRECISIONS.length];
        allocateArrays(Math.min(maxEntries, 1024));
    }

    private void allocateArrays(int cap) {
        capacity = cap;
        key = Arrays.copyOf(key == null ? new long[0] : key, cap);
        mask = Arrays.copyOf(mask == null ? new int[0] : mask, cap);
        precision = Arrays.copyOf(precision == null ? new byte[0] : precision, cap * k);
        slot = Arrays.copyOf(slot == null ? new int[0] : slot, cap * k);
        scale = Arrays.copyOf(scale == null ? new float[0] : scale, cap * k);
        utility = Arrays.copyOf(utility == null ? new float[0] : utility, cap * k);
        accumulator = Arrays.copyOf(accumulator == null ? new float[0] : accumulator, cap * k);
        accesses = Arrays.copyOf(accesses == null ? new long[0] : accesses, cap);
        lastStep = Arrays.copyOf(lastStep == null ? new long[0] : lastStep, cap);
        updates = Arrays.copyOf(updates == null ? new long[0] : updates, cap);
        linear = Arrays.copyOf(linear == null ? new float[0] : linear, cap);
        linearAcc = Arrays.copyOf(linearAcc == null ? new float[0] : linearAcc, cap);
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
        mask[e] = 0;
        int base = e * k;
        for (int c = 0; c < k; c++) {
            precision[base + c] = 0;
            slot[base + c] = -1;
            scale[base + c] = 0f;
            utility[base + c] = 0f;
            accumulator[base + c] = 0f;
        }
        accesses[e] = 0;
        lastStep[e] = 0;
        updates[e] = 0;
        linear[e] = 0f;
        linearAcc[e] = 0f;
        dirty[e] = false;
        linkFirst(e);
        index.put(rowKey, e);
        return e;
    }

    /** Frees the slots of {@code e} and the entry itself. */
    void release(int e) {
        int base = e * k;
        for (int c = 0; c < k; c++) {
            if ((mask[e] & (1 << c)) != 0) {
                slab(c, precision[base + c]).release(slot[base + c]);
                slot[base + c] = -1;
            }
        }
        mask[e] = 0;
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
            s = new Slab(Quantizer.slotBytes(layout.width(chunk), RowBuffer.PRECISIONS[precisionOrdinal]), 1024);
            slabs[cls] = s;
        }
        return s;
    }

    /** Allocates a slot for chunk {@code c} of {@code e} at its current precision and sets the mask bit. */
    void allocateSlot(int e, int c) {
        int i = e * k + c;
        slot[i] = slab(c, precision[i]).allocate();
        mask[e] |= 1 << c;
    }

    /** Frees the slot of chunk {@code c} of {@code e} and clears the mask bit. */
    void releaseSlot(int e, int c) {
        int i = e * k + c;
        slab(c, precision[i]).release(slot[i]);
        slot[i] = -1;
        mask[e] &= ~(1 << c);
    }

    /** Dequantized values of stored chunk {@code c} of {@code e} into {@code dst[off ..]}. */
    void decode(int e, int c, float[] dst, int off) {
        int i = e * k + c;
        Slab s = slab(c, precision[i]);
        Quantizer.decode(s.data, s.offset(slot[i]), layout.width(c), RowBuffer.PRECISIONS[precision[i]], scale[i], dst, off);
    }

    /** Stores {@code src[off ..]} into stored chunk {@code c} of {@code e} with stochastic rounding. */
    void encode(int e, int c, float[] src, int off, long rngBase) {
        int i = e * k + c;
        Slab s = slab(c, precision[i]);
        scale[i] = Quantizer.encode(src, off, layout.width(c), RowBuffer.PRECISIONS[precision[i]], s.data,
                s.offset(slot[i]), rngBase, layout.offset(c));
    }

    /** Copies entry {@code e} into {@code row} (values byte for byte). */
    void copyOut(int e, RowBuffer row) {
        row.key = key[e];
        row.mask = mask[e];
        int base = e * k;
        for (int c = 0; c < k; c++) {
            int i = base + c;
            row.precision[c] = precision[i];
            row.utility[c] = utility[i];
            row.accumulator[c] = accumulator[i];
            row.scale[c] = scale[i];
            if ((mask[e] & (1 << c)) != 0) {
                Slab s = slab(c, precision[i]);
                System.arraycopy(s.data, s.offset(slot[i]), row.raw, row.rawOffset(c), s.slotBytes);
            }
        }
        row.accesses = accesses[e];
        row.lastStep = lastStep[e];
        row.updates = updates[e];
        row.linear = linear[e];
        row.linearAcc = linearAcc[e];
    }

    /** Fills fresh entry {@code e} from {@code row}, allocating its slots. */
    void copyIn(int e, RowBuffer row) {
        int base = e * k;
        for (int c = 0; c < k; c++) {
            int i = base + c;
            precision[i] = row.precision[c];
            utility[i] = row.utility[c];
            accumulator[i] = row.accumulator[c];
            scale[i] = row.scale[c];
            if ((row.mask & (1 << c)) != 0) {
                allocateSlot(e, c);
                Slab s = slab(c, precision[i]);
                System.arraycopy(row.raw, row.rawOffset(c), s.data, s.offset(slot[i]), s.slotBytes);
            }
        }
        accesses[e] = row.accesses;
        lastStep[e] = row.lastStep;
        updates[e] = row.updates;
        linear[e] = row.linear;
        linearAcc[e] = row.linearAcc;
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
        long perEntry = 8 + 4 + 8 + 8 + 8 + 4 + 4 + 1 + 4 + 4 + 4 + (long) k * (1 + 4 + 4 + 4 + 4);
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
