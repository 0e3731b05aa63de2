package io.inflight.policies;

/**
 * The narrow view of the embedding table a policy pass works on: statistics in, decisions out.
 * Implemented by the embedding store (hot tier + RocksDB tier) and, for tests and benchmarks, by a
 * plain in-memory table in this module. All methods are called from the trainer's thread between
 * training steps; nothing here is thread-safe.
 *
 * <p>A row has {@code K = chunkWidths().length} chunks whose widths sum to {@code D}. Utilities are
 * updated by the store on every scatter with {@link UtilityRule}; the policies only read them.
 */
public interface EmbeddingTable {

    /** Widths of the K chunks in dimension order; their sum is D. */
    int[] chunkWidths();

    /** Rows currently stored (rows with an empty mask that are still tracked count too). */
    long rowCount();

    /** Exact bytes stored for the whole table: values plus metadata, every tier. */
    long storedBytes();

    /**
     * Bytes one row takes with the given mask and per-chunk precisions (values plus metadata), so a
     * budget controller can plan before acting.
     */
    long rowBytes(int mask, Precision[] precisions);

    /** Visits every stored row once, in an order fixed by the table's contents (not by hash seeds). */
    void forEachRow(RowVisitor visitor);

    /**
     * Writes up to {@code m} utilities of chunk {@code chunk} (or of all chunks when {@code chunk}
     * is -1) drawn uniformly from stored rows into {@code out}; deterministic for a given seed and
     * table content.
     *
     * @return the number of utilities written
     */
    int sampleUtilities(int chunk, int m, long seed, float[] out);

    /** Frees the slot of chunk {@code chunk} of row {@code key}; the chunk then reads as zeros. */
    void pruneChunk(long key, int chunk);

    /** Allocates chunk {@code chunk} of row {@code key} again, initialised as {@code init} says. */
    void allocateChunk(long key, int chunk, ChunkInit init);

    /**
     * Allocates chunk {@code chunk} of row {@code key} starting from what the feature read there
     * while the chunk was not stored: its shared hashed row's dimensions scaled by the gate of field
     * {@code field} (CAFE); initialised as {@code fallback} says when the table has no shared rows or
     * {@code field} is negative.
     */
    default void allocateChunkFromShared(long key, int chunk, int field, ChunkInit fallback) {
        allocateChunk(key, chunk, fallback);
    }

    /** Re-quantizes chunk {@code chunk} of row {@code key} in place at {@code precision}. */
    void setPrecision(long key, int chunk, Precision precision);

    /**
     * Removes row {@code key} entirely (AdaEmbed eviction). If the feature comes back it starts from
     * zero weights and zero optimizer state.
     */
    void evictRow(long key);

    /** Shared hashed rows (CAFE) the features without a row of their own fall back to: H, 0 without. */
    default long sharedRows() {
        return 0;
    }

    /**
     * The share of feature accesses that the shared rows served (rather than rows of their own)
     * since the previous call, smoothed over calls (each call halves the weight of the earlier
     * ones); NaN without shared rows or accesses. Starts a new window.
     */
    default double takeSharedServedShare() {
        return Double.NaN;
    }

    /**
     * Re-sizes the shared rows to {@code rows}, twice or half the current H (a power of two):
     * doubling gives each new row a copy of the row its features read before, halving averages
     * the two rows that merge.
     */
    default void resizeShared(long rows) {
        throw new UnsupportedOperationException("this table has no shared rows");
    }

    /** Called once per stored row by {@link #forEachRow}. */
    @FunctionalInterface
    interface RowVisitor {
        void visit(RowView row);
    }

    /** How a (re-)allocated chunk is initialised. */
    enum ChunkInit {
        /** All zeros, optimizer state zero. */
        ZERO,
        /** Small random values from the counter-based generator keyed by (seed, key, chunk, count). */
        RANDOM
    }
}
