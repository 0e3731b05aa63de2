package io.inflight.policies.sim;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Objects;

/**
 * A plain in-memory reference {@link EmbeddingTable} for tests and benchmarks. It keeps row
 * statistics only (mask, precisions, utilities, access counts), no embedding values: policies never
 * read values, and the byte accounting below is what a real store holding the values takes.
 *
 * <p><b>Layout.</b> Rows live densely in primitive arrays at indices {@code [0, rowCount)}, found by
 * an open-addressing {@code long -> int} map; eviction moves the last row into the hole. No per-row
 * objects ({@link SimRows}).
 *
 * <p><b>Bytes (exact, {@link SimBytes}).</b> A row with mask {@code m} and precisions {@code p} takes
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
    private final SimBytes bytes;
    private final SimRows rows;

    private long storedBytes;
    private long clock;
    private Precision allocationPrecision = Precision.FP32;
    private boolean visiting;
    private final Cursor cursor = new Cursor();
    private final float[] splitNorms;

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
        this.bytes = new SimBytes(widths);
        this.splitNorms = new float[k];
        this.rows = new SimRows(k);
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
        return rows.size;
    }

    @Override
    public long storedBytes() {
        return storedBytes;
    }

    @Override
    public long rowBytes(int mask, Precision[] precs) {
        return bytes.rowBytes(mask, precs);
    }

    @Override
    public void forEachRow(RowVisitor visitor) {
        if (visiting) {
            throw new ConcurrentModificationException("forEachRow is not re-entrant");
        }
        visiting = true;
        try {
            for (int r = 0; r < rows.size; r++) {
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
        if (rows.size == 0) {
            return 0;
        }
        int n = Math.min(m, out.length);
        for (int i = 0; i < n; i++) {
            long h = SplitMix64.at(sampleSeed, i);
            int r = SplitMix64.below(h, rows.size);
            int c = chunk >= 0 ? chunk : SplitMix64.below(SplitMix64.mix(h), k);
            out[i] = utilityAt(r, c);
        }
        return n;
    }

    @Override
    public void pruneChunk(long key, int chunk) {
        int r = rowOf(key);
        checkChunk(chunk);
        if ((rows.masks[r] & (1 << chunk)) == 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is already pruned");
        }
        storedBytes -= valueBytes(r, chunk);
        rows.masks[r] &= ~(1 << chunk);
        prunes++;
    }

    @Override
    public void allocateChunk(long key, int chunk, ChunkInit init) {
        int r = rowOf(key);
        checkChunk(chunk);
        if ((rows.masks[r] & (1 << chunk)) != 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is already stored");
        }
        rows.masks[r] |= 1 << chunk;
        rows.precisions[r * k + chunk] = (byte) allocationPrecision.ordinal();
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
        if ((rows.masks[r] & (1 << chunk)) == 0) {
            throw new IllegalStateException("chunk " + chunk + " of row " + key + " is pruned; it has no precision");
        }
        storedBytes -= valueBytes(r, chunk);
        rows.precisions[r * k + chunk] = (byte) precision.ordinal();
        storedBytes += valueBytes(r, chunk);
        precisionChanges++;
    }

    @Override
    public void evictRow(long key) {
        int r = rowOf(key);
        storedBytes -= bytesOfRow(r);
        rows.remove(r);
        evictions++;
    }

    // ---------------------------------------------------------------- driving the table

    /** Whether row {@code key} is stored. */
    public boolean contains(long key) {
        return rows.indexOf(key) >= 0;
    }

    /**
     * Creates row {@code key} with chunks {@code mask} stored at {@code precision}, zero utilities
     * and zero accesses (the state of a new or re-admitted row: nothing is restored).
     */
    public void addRow(long key, int mask, Precision precision) {
        checkNotVisiting();
        if (rows.indexOf(key) >= 0) {
            throw new IllegalStateException("row " + key + " already exists");
        }
        if ((mask & ~((1 << k) - 1)) != 0) {
            throw new IllegalArgumentException("mask " + Integer.toBinaryString(mask) + " has bits beyond K=" + k);
        }
        int r = rows.add(key, mask, (byte) precision.ordinal(), clock);
        storedBytes += bytesOfRow(r);
    }

    /**
     * One training step's access to row {@code key}: {@code accesses} reads, gradient L2 norm
     * {@code gradNorm} for the whole row, split over chunks as {@code gradNorm * sqrt(width/D)}.
     *
     * @return false when the row is absent (nothing changes)
     */
    public boolean access(long key, long step, int accesses, float gradNorm) {
        for (int c = 0; c < k; c++) {
            splitNorms[c] = (float) (gradNorm * Math.sqrt((double) widths[c] / dim));
        }
        return access(key, step, accesses, splitNorms);
    }

    /** Like {@link #access(long, long, int, float)} with one gradient norm per chunk. */
    public boolean access(long key, long step, int accesses, float[] chunkGradNorms) {
        int r = rows.indexOf(key);
        if (r < 0) {
            return false;
        }
        advanceTo(step);
        // Eq. 1 once per step: the steps since the last access decay the old value, and several
        // accesses within one step add their signals without decaying again.
        float f = decayFactor(step - rows.utilityStep[r]);
        float[] utilities = rows.utilities;
        int base = r * k;
        for (int c = 0; c < k; c++) {
            utilities[base + c] = utilities[base + c] * f + rule.update(0f, accesses, chunkGradNorms[c]);
        }
        rows.utilityStep[r] = step;
        rows.accessCounts[r] += accesses;
        rows.lastAccess[r] = step;
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
        float f = decayFactor(clock - rows.utilityStep[r]);
        for (int c = 0; c < k; c++) {
            rows.utilities[base + c] *= f;
        }
        rows.utilityStep[r] = clock;
        rows.utilities[base + chunk] = utility;
    }

    /**
     * The precision a chunk gets when {@link #allocateChunk} (re-)allocates it (default FP32); set it
     * to the policies' new-row precision ({@code PolicyRunner.initialPrecision()}).
     */
    public void setAllocationPrecision(Precision precision) {
        this.allocationPrecision = Objects.requireNonNull(precision, "precision");
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
        return rows.masks[rowOf(key)];
    }

    /** Accesses of row {@code key} since it was created, or -1 when absent. */
    public long accesses(long key) {
        int r = rows.indexOf(key);
        return r < 0 ? -1 : rows.accessCounts[r];
    }

    /** Precision of chunk {@code chunk} of row {@code key}. */
    public Precision precision(long key, int chunk) {
        checkChunk(chunk);
        return PRECISIONS[rows.precisions[rowOf(key) * k + chunk]];
    }

    /** Utility of chunk {@code chunk} of row {@code key}, decayed to the clock. */
    public float utility(long key, int chunk) {
        checkChunk(chunk);
        return utilityAt(rowOf(key), chunk);
    }

    /** Recomputes the stored bytes from every row (for tests of the running sum). */
    public long recomputeBytes() {
        long total = 0;
        for (int r = 0; r < rows.size; r++) {
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

    private float utilityAt(int r, int c) {
        return rows.utilities[r * k + c] * decayFactor(clock - rows.utilityStep[r]);
    }

    private float decayFactor(long steps) {
        if (steps <= 0) {
            return 1f;
        }
        return steps < DECAY_TABLE ? decayTable[(int) steps] : (float) Math.pow(rule.gamma(), steps);
    }

    private long valueBytes(int r, int c) {
        return bytes.valueBytes(c, rows.precisions[r * k + c]);
    }

    private long bytesOfRow(int r) {
        long total = bytes.metadataBytes();
        int m = rows.masks[r];
        for (int c = 0; c < k; c++) {
            if ((m & (1 << c)) != 0) {
                total += valueBytes(r, c);
            }
        }
        return total;
    }

    private int rowOf(long key) {
        checkNotVisiting();
        int r = rows.indexOf(key);
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

    /** The reusable row view handed to visitors. */
    private final class Cursor implements RowView {
        private int r;
        private float factor;

        void moveTo(int row) {
            r = row;
            factor = decayFactor(clock - rows.utilityStep[row]);
        }

        @Override
        public long key() {
            return rows.keys[r];
        }

        @Override
        public int mask() {
            return rows.masks[r];
        }

        @Override
        public Precision precision(int chunk) {
            return PRECISIONS[rows.precisions[r * k + chunk]];
        }

        @Override
        public float utility(int chunk) {
            return rows.utilities[r * k + chunk] * factor;
        }

        @Override
        public long accesses() {
            return rows.accessCounts[r];
        }

        @Override
        public long lastAccessStep() {
            return rows.lastAccess[r];
        }
    }
}
