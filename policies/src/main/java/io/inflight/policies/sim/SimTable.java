package io.inflight.policies.sim;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.util.LongIntHashMap;
import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import java.util.ConcurrentModificationException;

/**
 * A plain in-memory reference {@link EmbeddingTable} for tests and benchmarks. It keeps row
 * statistics only (mask, precisions, utilities, access counts), no embedding values: policies never
 * read values, and the byte accounting below is what a real store holding the values takes.
 *
 * <p><b>Layout.</b> Rows live densely in primitive arrays at indices {@code [0, rowCount)}, found by
 * an open-addressing {@code long -> int} map; eviction moves the last row into the hole. No per-row
 * objects.
 *
 * <p><b>Bytes (exact).</b> A row with mask {@code m} and precisions {@code p} takes
 * <pre>
 *   ROW_METADATA_BYTES (28: key 8, mask 4, access count 8, last access step 8)
 * + K * CHUNK_METADATA_BYTES (5 per chunk, stored or not: utility 4, precision 1; pruned chunks keep
 *                            their utility so they can climb back)
 * + sum over stored chunks c of ceil(bits(p[c]) * width[c] / 8) + (p[c] quantized ? SCALE_BYTES (4) : 0)
 * </pre>
 * and {@link #storedBytes()} is the running sum of that over all rows, updated on every change, so
 * it is O(1) and exact ({@link #recomputeBytes()} recomputes it from scratch for tests).
 *
 * <p><b>Utilities.</b> {@link #access} applies {@link UtilityRule} to every chunk of the row (pruned
 * chunks too: the gradient of a zero-padded chunk is still computed), with the decay of steps
 * without access applied lazily, and utilities are reported decayed to the table's clock (the
 * largest step seen by {@link #access} or {@link #advanceTo}).
 *
 * <p>A (re-)allocated chunk is stored at {@link #setAllocationPrecision the allocation precision}.
 *
 * <p><b>Sampling</b> is with replacement at row index {@code SplitMix64.at(seed, i) mod rowCount},
 * so it is deterministic for a seed and table content. {@link #forEachRow} visits rows in index
 * order; changing the table from inside a visit throws {@link ConcurrentModificationException}
 * (the contract the policies keep: they collect decisions during a visit and act after it).
 *
 * <p>Not thread-safe.
 */
public final class SimTable implements EmbeddingTable {

    public static final int ROW_METADATA_BYTES = 28;
    public static final int CHUNK_METADATA_BYTES = 5;
    public static final int SCALE_BYTES = 4;

    private static final Precision[] PRECISIONS = Precision.values();
    private static final int DECAY_TABLE = 4096;

    private final int[] widths;
    private final int k;
    private final int dim;
    private final UtilityRule rule;
    private final long seed;
    private final float[] decayTable;
    private final int[] chunkValueBytes; // [chunk * PRECISIONS.length + precision ordinal]

    private final LongIntHashMap index;
    private long[] keys;
    private int[] masks;
    private byte[] precisions;
    private float[] utilities;
    private long[] utilityStep;
    private long[] accessCounts;
    private long[] lastAccess;
    private int size;

    private long storedBytes;
    private long clock;
    private Precision allocationPrecision = Precision.FP32;
    private boolean visiting;
    private final Cursor cursor = new Cursor();

    private long allocations;
    private long randomInits;
    private long prunes;
    private long evictions;
    private long precisionChanges;

    /**
     * @param chunkWidths widths of the K chunks (1 to 31 chunks, each width >= 1)
     * @param rule        the utility rule applied by {@link #access}
     * @param seed        seed of the counter-based generator (random chunk init is only counted here)
     */
    public SimTable(int[] chunkWidths, UtilityRule rule, long seed) {
        if (chunkWidths == null || chunkWidths.length < 1 || chunkWidths.length > 31) {
            throw new IllegalArgumentException("chunk widths must have 1 to 31 entries, got "
                    + (chunkWidths == null ? "null" : Arrays.toString(chunkWidths)));
        }
        int d = 0;
        for (int w : chunkWidths) {
            if (w < 1) {
                throw new IllegalArgumentException("chunk widths must be >= 1, got " + Arrays.toString(chunkWidths));
            }
            d += w;
        }
        this.widths = chunkWidths.clone();
        this.k = widths.length;
        this.dim = d;
        this.rule = rule;
        this.seed = seed;
        this.decayTable = new float[DECAY_TABLE];
        for (int i = 0; i < DECAY_TABLE; i++) {
            decayTable[i] = (float) Math.pow(rule.gamma(), i);
        }
        this.chunkValueBytes = new int[k * PRECISIONS.length];
        for (int c = 0; c < k; c++) {
            for (Precision p : PRECISIONS) {
                chunkValueBytes[c * PRECISIONS.length + p.ordinal()] =
                        (p.bits() * widths[c] + 7) / 8 + (p.quantized() ? SCALE_BYTES : 0);
            }
        }
        int cap = 1024;
        index = new LongIntHashMap(cap);
        keys = new long[cap];
        masks = new int[cap];
        precisions = new byte[cap * k];
        utilities = new float[cap * k];
        utilityStep = new long[cap];
        accessCounts = new long[cap];
        lastAccess = new long[cap];
    }

    /** Equal chunks: {@code k} chunks of {@code dim / k} (which must divide). */
    public static SimTable equalChunks(int dim, int k, UtilityRule rule, long seed) {
        if (k < 1 || dim % k != 0) {
            throw new IllegalArgumentException("dim " + dim + " must be a positive multiple of chunk count " + k);
        }
        int[] w = new int[k];
        Arrays.fill(w, dim / k);
        return new SimTable(w, rule, seed);
    }

    // ---------------------------------------------------------------- EmbeddingTable

    @Override
    public int[] chunkWidths() {
        return widths.clone();
    }

    @Override
    public long rowCount() {
        return size;
    }

    @Override
    public long storedBytes() {
        return storedBytes;
    }

    @Override
    public long rowBytes(int mask, Precision[] precs) {
        long bytes = ROW_METADATA_BYTES + (long) k * CHUNK_METADATA_BYTES;
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                bytes += chunkValueBytes[c * PRECISIONS.length + precs[c].ordinal()];
            }
        }
        return bytes;
    }

    @Override
    public void forEachRow(RowVisitor visitor) {
        if (visiting) {
            throw new ConcurrentModificationException("forEachRow is not re-entrant");
        }
        visiting = true;
        try {
            for (int r = 0; r < size; r++) {
                cursor.moveTo(r);
                visitor.visit(cursor);
            }
        } finally {
            visiting = false;
        }
    }

    @Override
    public int sampleUtilities(int chunk, int m, long sampleSeed, float[] out) {
        if (chunk < -1 || chunk >= k) {
            throw new IllegalArgumentException("chunk must be -1 or in [0, " + k + "), got " + chunk);
        }
        if (size == 0) {
            return 0;
        }
        int n = Math.min(m, out.length);
        for (int i = 0; i < n; i++) {
            long h = SplitMix64.at(sampleSeed, i);
            int r = SplitMix64.below(h, size);
            int c = chunk >= 0 ? chunk : SplitMix64.below(SplitMix64.mix(h), k);
            out[i] = utilityAt(r, c);
        }
        return n;
    }

    @Override
    public void pruneChunk(long key, int chunk) {
        int r = rowOf(key);
        checkChunk(chunk);
        if ((masks[r] & (1 << chunk)) == 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is already pruned");
        }
        storedBytes -= valueBytes(r, chunk);
        masks[r] &= ~(1 << chunk);
        prunes++;
    }

    @Override
    public void allocateChunk(long key, int chunk, ChunkInit init) {
        int r = rowOf(key);
        checkChunk(chunk);
        if ((masks[r] & (1 << chunk)) != 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is already stored");
        }
        masks[r] |= 1 << chunk;
        precisions[r * k + chunk] = (byte) allocationPrecision.ordinal();
        storedBytes += valueBytes(r, chunk);
        allocations++;
        if (init == ChunkInit.RANDOM) {
            randomInits++;
        }
    }

    @Override
    public void setPrecision(long key, int chunk, Precision precision) {
        int r = rowOf(key);
        checkChunk(chunk);
        if ((masks[r] & (1 << chunk)) == 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is pruned; it has no precision");
        }
        storedBytes -= valueBytes(r, chunk);
        precisions[r * k + chunk] = (byte) precision.ordinal();
        storedBytes += valueBytes(r, chunk);
        precisionChanges++;
    }

    @Override
    public void evictRow(long key) {
        int r = rowOf(key);
        storedBytes -= bytesOfRow(r);
        index.remove(key);
        int last = size - 1;
        if (r != last) {
            keys[r] = keys[last];
            masks[r] = masks[last];
            System.arraycopy(precisions, last * k, precisions, r * k, k);
            System.arraycopy(utilities, last * k, utilities, r * k, k);
            utilityStep[r] = utilityStep[last];
            accessCounts[r] = accessCounts[last];
            lastAccess[r] = lastAccess[last];
            index.put(keys[r], r);
        }
        size--;
        evictions++;
    }

    // ---------------------------------------------------------------- driving the table

    /** Whether row {@code key} is stored. */
    public boolean contains(long key) {
        return index.get(key) >= 0;
    }

    /**
     * Creates row {@code key} with chunks {@code mask} stored at {@code precision}, zero utilities
     * and zero accesses (the state of a new or re-admitted row: nothing is restored).
     */
    public void addRow(long key, int mask, Precision precision) {
        checkNotVisiting();
        if (index.get(key) >= 0) {
            throw new IllegalStateException("row " + key + " already exists");
        }
        if ((mask & ~((1 << k) - 1)) != 0) {
            throw new IllegalArgumentException("mask " + Integer.toBinaryString(mask) + " has bits beyond K=" + k);
        }
        if (size == keys.length) {
            growArrays();
        }
        int r = size++;
        keys[r] = key;
        masks[r] = mask;
        Arrays.fill(precisions, r * k, r * k + k, (byte) precision.ordinal());
        Arrays.fill(utilities, r * k, r * k + k, 0f);
        utilityStep[r] = clock;
        accessCounts[r] = 0;
        lastAccess[r] = clock;
        index.put(key, r);
        storedBytes += bytesOfRow(r);
    }

    /**
     * One training step's access to row {@code key}: {@code accesses} reads, gradient L2 norm
     * {@code gradNorm} for the whole row, split over chunks as {@code gradNorm * sqrt(width/D)}.
     *
     * @return false when the row is absent (nothing changes)
     */
    public boolean access(long key, long step, int accesses, float gradNorm) {
        int r = index.get(key);
        if (r < 0) {
            return false;
        }
        advanceTo(step);
        // Eq. 1 once per step: the steps since the last access decay the old value, and several
        // accesses within one step add their signals without decaying again.
        float f = decayFactor(step - utilityStep[r]);
        int base = r * k;
        for (int c = 0; c < k; c++) {
            float g = (float) (gradNorm * Math.sqrt((double) widths[c] / dim));
            utilities[base + c] = utilities[base + c] * f + rule.update(0f, accesses, g);
        }
        finishAccess(r, step, accesses);
        return true;
    }

    /** Like {@link #access(long, long, int, float)} with one gradient norm per chunk. */
    public boolean access(long key, long step, int accesses, float[] chunkGradNorms) {
        int r = index.get(key);
        if (r < 0) {
            return false;
        }
        advanceTo(step);
        float f = decayFactor(step - utilityStep[r]);
        int base = r * k;
        for (int c = 0; c < k; c++) {
            utilities[base + c] = utilities[base + c] * f + rule.update(0f, accesses, chunkGradNorms[c]);
        }
        finishAccess(r, step, accesses);
        return true;
    }

    /**
     * Sets the (undecayed, as of the clock) utility of one chunk directly, for tests that drive
     * synthetic utility streams.
     */
    public void setUtility(long key, int chunk, float utility) {
        checkNotVisiting();
        int r = rowOf(key);
        checkChunk(chunk);
        int base = r * k;
        float f = decayFactor(clock - utilityStep[r]);
        for (int c = 0; c < k; c++) {
            utilities[base + c] *= f;
        }
        utilityStep[r] = clock;
        utilities[base + chunk] = utility;
    }

    /**
     * The precision a chunk gets when {@link #allocateChunk} (re-)allocates it (default FP32); set it
     * to the policies' new-row precision ({@code PolicyRunner.initialPrecision()}).
     */
    public void setAllocationPrecision(Precision precision) {
        this.allocationPrecision = java.util.Objects.requireNonNull(precision, "precision");
    }

    /** Moves the clock forward to {@code step} (utilities are reported decayed to the clock). */
    public void advanceTo(long step) {
        if (step > clock) {
            clock = step;
        }
    }

    public long clock() {
        return clock;
    }

    /** Mask of row {@code key}; the row must exist. */
    public int mask(long key) {
        return masks[rowOf(key)];
    }

    /** Accesses of row {@code key} since it was created, or -1 when absent. */
    public long accesses(long key) {
        int r = index.get(key);
        return r < 0 ? -1 : accessCounts[r];
    }

    /** Precision of chunk {@code chunk} of row {@code key}. */
    public Precision precision(long key, int chunk) {
        checkChunk(chunk);
        return PRECISIONS[precisions[rowOf(key) * k + chunk]];
    }

    /** Utility of chunk {@code chunk} of row {@code key}, decayed to the clock. */
    public float utility(long key, int chunk) {
        checkChunk(chunk);
        return utilityAt(rowOf(key), chunk);
    }

    /** Recomputes the stored bytes from every row (for tests of the running sum). */
    public long recomputeBytes() {
        long total = 0;
        for (int r = 0; r < size; r++) {
            total += bytesOfRow(r);
        }
        return total;
    }

    /** Bytes of a full-width fp32 row: the unit of "uncompressed table" sizes. */
    public long fullRowBytes() {
        Precision[] p = new Precision[k];
        Arrays.fill(p, Precision.FP32);
        return rowBytes((1 << k) - 1, p);
    }

    public long chunkAllocations() {
        return allocations;
    }

    public long randomInits() {
        return randomInits;
    }

    public long chunkPrunes() {
        return prunes;
    }

    public long rowEvictions() {
        return evictions;
    }

    public long precisionChanges() {
        return precisionChanges;
    }

    public long seed() {
        return seed;
    }

    // ---------------------------------------------------------------- internals

    private void finishAccess(int r, long step, int accesses) {
        utilityStep[r] = step;
        accessCounts[r] += accesses;
        lastAccess[r] = step;
    }

    private float utilityAt(int r, int c) {
        return utilities[r * k + c] * decayFactor(clock - utilityStep[r]);
    }

    private float decayFactor(long steps) {
        if (steps <= 0) {
            return 1f;
        }
        return steps < DECAY_TABLE ? decayTable[(int) steps] : (float) Math.pow(rule.gamma(), steps);
    }

    private long valueBytes(int r, int c) {
        return chunkValueBytes[c * PRECISIONS.length + precisions[r * k + c]];
    }

    private long bytesOfRow(int r) {
        long bytes = ROW_METADATA_BYTES + (long) k * CHUNK_METADATA_BYTES;
        int m = masks[r];
        for (int c = 0; c < k; c++) {
            if ((m & (1 << c)) != 0) {
                bytes += valueBytes(r, c);
            }
        }
        return bytes;
    }

    private int rowOf(long key) {
        checkNotVisiting();
        int r = index.get(key);
        if (r < 0) {
            throw new IllegalArgumentException("no row with key " + key);
        }
        return r;
    }

    private void checkChunk(int chunk) {
        if (chunk < 0 || chunk >= k) {
            throw new IllegalArgumentException("chunk must be in [0, " + k + "), got " + chunk);
        }
    }

    private void checkNotVisiting() {
        if (visiting) {
            throw new ConcurrentModificationException("the table must not change during forEachRow");
        }
    }

    private void growArrays() {
        int cap = keys.length * 2;
        keys = Arrays.copyOf(keys, cap);
        masks = Arrays.copyOf(masks, cap);
        precisions = Arrays.copyOf(precisions, cap * k);
        utilities = Arrays.copyOf(utilities, cap * k);
        utilityStep = Arrays.copyOf(utilityStep, cap);
        accessCounts = Arrays.copyOf(accessCounts, cap);
        lastAccess = Arrays.copyOf(lastAccess, cap);
    }

    /** The reusable row view handed to visitors. */
    private final class Cursor implements RowView {
        private int r;
        private float factor;

        void moveTo(int row) {
            r = row;
            factor = decayFactor(clock - utilityStep[row]);
        }

        @Override
        public long key() {
            return keys[r];
        }

        @Override
        public int mask() {
            return masks[r];
        }

        @Override
        public Precision precision(int chunk) {
            return PRECISIONS[precisions[r * k + chunk]];
        }

        @Override
        public float utility(int chunk) {
            return utilities[r * k + chunk] * factor;
        }

        @Override
        public long accesses() {
            return accessCounts[r];
        }

        @Override
        public long lastAccessStep() {
            return lastAccess[r];
        }
    }
}
