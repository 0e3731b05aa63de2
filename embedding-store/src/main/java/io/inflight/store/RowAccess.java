package io.inflight.store;

import io.inflight.policies.Precision;
import io.inflight.policies.RowView;

/**
 * Row reads and updates, what a training step needs from the embedding table: gather the rows of a
 * batch, scatter their gradients (the store applies its optimizer), and the shared hashed rows the
 * features without a row of their own fall back to. {@link EmbeddingStore} is the local
 * implementation (hot tier in front of a cold tier); a remote row shard can stand beside it.
 *
 * <p>Rows have D dimensions in K chunks ({@link #chunkWidths()}); gather and scatter buffers hold
 * {@link #stride()} floats per key: D embedding values, then the linear weight. Called from one
 * thread (the trainer's); not thread-safe.
 */
public interface RowAccess {

    /** The table's name (in every error message). */
    String name();

    /** Rows, optimizer, initialisation and hot capacity. */
    StoreConfig config();

    /** D, the embedding dimension. */
    int dim();

    /** Floats per key in gather and scatter buffers: D embedding values, then the linear weight. */
    int stride();

    /** Widths of the K chunks in dimension order; their sum is D. */
    int[] chunkWidths();

    /** Exact bytes stored for the whole table: values plus metadata, every tier, shared rows. */
    long storedBytes();

    /** Bytes one row takes with the given mask and per-chunk precisions (values plus metadata). */
    long rowBytes(int mask, Precision[] precisions);

    /**
     * The chunks a row starts with when {@link #scatter} creates it (all by default; a growth policy
     * starts rows at one chunk, FIITED-2D leaves out dropped columns); the others start pruned at
     * {@link StoreConfig#defaultPrecision}. A row that is not stored reads as zeros in them.
     *
     * @throws IllegalArgumentException when {@code mask} is empty or names a chunk beyond K
     */
    void newRowMask(int mask);

    /**
     * Writes what a new row of {@code key} starts as (its initialisation, zeros for the chunks
     * outside {@link #newRowMask}, linear weight 0) to {@code out[o .. o + stride())}: what
     * {@link #gather} reads for a key that is not stored when no shared rows are attached.
     */
    void readNew(long key, float[] out, int o);

    /**
     * Reads the rows of {@code keys[0 .. count)} into {@code out}: row i at {@code out[i·stride() ..]},
     * D dequantized values (zeros for pruned chunks) then the linear weight. A row that is not stored
     * reads as its initialisation.
     */
    void gather(long[] keys, int count, float[] out);

    /**
     * {@link #gather(long[], int, float[])}, also reporting each row's chunk mask ({@code -1} when
     * the row is not stored) and access count (0 when not stored) into {@code masks} and
     * {@code accesses} when they are not null.
     */
    void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses);

    /**
     * Applies one training step's gradients to the rows of {@code keys[0 .. count)}, in that order.
     * Row i's gradient is at {@code grads[i·stride() ..]} (D embedding values, then the linear
     * weight). For every chunk: utility by {@link StoreConfig#utility} with {@code a = accesses[i]}
     * (after decaying it by {@code gamma^(step - lastStep - 1)} for the steps that did not touch the
     * row; views report the utility as of the row's {@link RowView#lastAccessStep})
     * (1 when {@code accesses} is null) and {@code g} = L2 norm of the chunk's gradient (pruned
     * chunks too); for every stored chunk: row-wise Adagrad with L2
     * ({@code G += mean((g + l2·w)²)}, {@code w -= lr·(g + l2·w) / (sqrt(G) + eps)}), written back
     * at the chunk's precision with stochastic rounding keyed by (seed, key, step) (so are the 16-bit
     * accumulators). The linear weight gets the same update with its own accumulator. A key that is
     * not stored is created first. Callers should pass each key once per step with its gradients
     * summed; a repeated key is updated once per occurrence, in order, with the same rounding draws.
     *
     * @throws IllegalArgumentException if a gradient is not finite (nothing is applied)
     */
    void scatter(long[] keys, int[] accesses, int count, float[] grads, long step);

    /**
     * {@link #scatter(long[], int[], int, float[], long)}, where a row it creates starts from
     * {@code initial} (same layout as {@code grads}: D values, then the linear weight) instead of the
     * store's own initialisation: e.g. the gated shared row the feature read until it was admitted
     * (CAFE), so admission does not throw away what the shared row learned for it. {@code initial}
     * null is the plain scatter.
     */
    void scatter(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial);

    /**
     * Adds the gradient of a feature that has no row and gets none this step (refused by
     * admission) to its shared row; applied with the next {@link #scatter}. A no-op without shared
     * rows.
     */
    void scatterShared(long key, float[] grads, int off);

    /**
     * Reads row {@code key} (D values, zero-padded, then the linear weight) into {@code dst[off ..]}
     * without moving it between tiers.
     *
     * @return false when the row is not stored ({@code dst} untouched)
     */
    boolean read(long key, float[] dst, int off);

    /**
     * Attaches shared hashed rows ({@link SharedRows}): from now on a row that is not stored reads as
     * its shared row, and a pruned chunk reads (and its gradient trains) the shared row's dimensions.
     * Their bytes count in {@link #storedBytes()}.
     */
    void attachShared(SharedRows rows);

    /** The attached shared rows, or null. */
    SharedRows shared();
}
