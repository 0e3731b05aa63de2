package io.inflight.store;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;

/**
 * Embedding rows of chunks at mixed precision: a capacity-bounded hot tier ({@link HotTier}, VHPI)
 * in front of an optional {@link ColdTier}, with batch gather/scatter for training, the policy
 * operations of {@link EmbeddingTable}, exact memory accounting and the set of rows changed since
 * they were last published.
 *
 * <h2>Rows</h2>
 * A row has D dimensions in K chunks ({@link ChunkLayout}); each chunk is stored at a
 * {@link Precision} or pruned (reads as zeros), and keeps a FIITED utility (8-bit log-scale code) and a row-wise Adagrad
 * accumulator (16-bit; one per row instead with {@link StoreConfig#rowAdagrad}). A row also has a fp32
 * linear weight with its own 16-bit accumulator, an access count (16-bit, saturating) and the step of
 * its last update (its low 32 bits) ({@link RowSizes} has the bytes of each). Stochastic rounding is
 * keyed by (seed, key, training step) in a scatter, and by (seed, key, the row's last step,
 * operation, precision) in a policy operation: a replay of the same calls reproduces every bit,
 * whatever rows moved between tiers in between (moves copy stored bytes).
 * A row that is not stored reads as its initialisation ({@link StoreConfig#newRowInit}) and is
 * created by its first scatter; an evicted row comes back as a new row (optimizer state zero).
 *
 * <h2>Tiers and durability</h2>
 * The hot tier is a write-back cache: {@link #scatter} and the policy operations change hot rows and
 * mark them dirty; {@link #flush} writes every dirty row (and the log of changed keys) to the cold
 * tier. The least recently used row leaves the hot tier when it is full (written first if dirty).
 * When the cold tier is a logged Kafka Streams store ({@link io.inflight.store.streams.EmbeddingStateStore})
 * flush runs as part of every commit, so what is committed is exactly the state at the commit; or,
 * with deferred durability, at the owner's checkpoints only, cold-tier writes in between being
 * staged in memory ({@link StagedColdTier}).
 * Without a cold tier the hot tier holds every row and refuses rows beyond its capacity.
 *
 * <h2>Parts</h2>
 * This class is the facade; the work is done by package-private parts over one shared state
 * ({@link TieredRows}: the tiers, the totals, loading and creating rows): {@link RowUpdates} (gather,
 * scatter with the optimizer), {@link PolicyOps} (the policy operations), {@link ChangedKeys} (the
 * change log and write-back to the cold tier) and {@link RowExport} (reads that move no row: read,
 * changed rows, snapshot, digest).
 *
 * <h2>Lifecycle and threads</h2>
 * Create, call from one thread (a stream task's), {@link #flush} before a commit (the state store
 * does it), {@link #reset} when the cold tier was restored or rolled back. Not thread-safe.
 */
public final class EmbeddingStore implements EmbeddingRows {

    private final TieredRows rows;
    private final RowUpdates updates;
    private final PolicyOps policies;
    private final RowExport export;

    /**
     * @param name   the store's name (in every error message)
     * @param config rows, optimizer, initialisation and hot capacity
     * @param cold   where rows beyond the hot tier live and dirty rows are flushed; null for a store
     *               held entirely in the hot tier
     */
    public EmbeddingStore(String name, StoreConfig config, ColdTier cold) {
        this.rows = new TieredRows(name, config, cold);
        this.updates = new RowUpdates(rows);
        this.policies = new PolicyOps(rows);
        this.export = new RowExport(rows);
    }

    /** A store held entirely in memory (no cold tier). */
    public static EmbeddingStore inMemory(String name, StoreConfig config) {
        return new EmbeddingStore(name, config, null);
    }

    @Override
    public String name() {
        return rows.name;
    }

    @Override
    public StoreConfig config() {
        return rows.config;
    }

    @Override
    public int dim() {
        return rows.d;
    }

    @Override
    public int stride() {
        return rows.d + 1;
    }

    // ---- row reads and updates ------------------------------------------------------------------

    @Override
    public void newRowMask(int mask) {
        int all = (1 << rows.k) - 1;
        if (mask == 0 || (mask & ~all) != 0) {
            throw new IllegalArgumentException("store " + rows.name + ": a new row's chunk mask must be a non-empty subset of "
                    + Integer.toBinaryString(all) + ", got " + Integer.toBinaryString(mask));
        }
        rows.newRowMask = mask;
    }

    @Override
    public void readNew(long key, float[] out, int o) {
        updates.readNew(key, out, o);
    }

    /** {@inheritDoc} Rows found in the cold tier move into the hot tier. */
    @Override
    public void gather(long[] keys, int count, float[] out) {
        updates.gather(keys, count, out, null, null);
    }

    @Override
    public void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        updates.gather(keys, count, out, masks, accesses);
    }

    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step) {
        updates.scatter(keys, accesses, count, grads, step, null);
    }

    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial) {
        updates.scatter(keys, accesses, count, grads, step, initial);
    }

    @Override
    public boolean read(long key, float[] dst, int off) {
        return export.read(key, dst, off);
    }

    // ---- shared hashed rows ---------------------------------------------------------------------

    /**
     * {@inheritDoc} New rows and re-allocated chunks keep their own initialisation: starting them from
     * the shared row (CAFE's warm migration) measured worse here (AdaEmbed at 1/8.4: 0.8058 against
     * 0.8188 AUC).
     */
    @Override
    public void attachShared(SharedRows shared) {
        rows.shared = shared;
    }

    @Override
    public SharedRows shared() {
        return rows.shared;
    }

    @Override
    public void scatterShared(long key, float[] grads, int off) {
        updates.scatterShared(key, grads, off);
    }

    @Override
    public long sharedRows() {
        return rows.shared == null ? 0 : rows.shared.rows();
    }

    @Override
    public double takeSharedServedShare() {
        return rows.shared == null ? Double.NaN : rows.shared.takeServedShare();
    }

    @Override
    public void resizeShared(long h) {
        if (rows.shared == null) {
            EmbeddingRows.super.resizeShared(h);
        }
        rows.shared.resize(Math.toIntExact(h));
    }

    // ---- durability and the change log ----------------------------------------------------------

    /**
     * Writes every dirty hot row and the keys changed since the last flush to the cold tier; a no-op
     * without a cold tier. Called by the state store before each commit.
     */
    public void flush() {
        if (!rows.isOpen()) {
            return;
        }
        rows.log.flush();
    }

    /**
     * Forgets everything held in memory (hot rows, dirty or not, and counters); the next call
     * reloads from the cold tier. Called when the cold tier was restored or rolled back.
     */
    public void reset() {
        rows.close();
    }

    @Override
    public int changedCount() {
        rows.ensureOpen();
        return rows.log.size();
    }

    @Override
    public void forEachChanged(RowSink sink) {
        export.forEachChanged(sink);
    }

    @Override
    public void clearChanged() {
        rows.ensureOpen();
        rows.log.published();
    }

    // ---- whole-table reads ----------------------------------------------------------------------

    @Override
    public void snapshot(RowSink sink) {
        export.snapshot(sink);
    }

    @Override
    public byte[] digest() {
        return export.digest();
    }

    /** Reads that missed the hot tier and went to the cold tier (found or not), since creation. */
    public long coldReads() {
        return rows.coldReads();
    }

    /** Exact bytes by tier, precision and chunk. */
    public MemoryReport memory() {
        rows.ensureOpen();
        return MemoryReport.of(rows.total, rows.hotTotal, rows.hot.allocatedBytes(), rows.d);
    }

    // ---- EmbeddingTable -------------------------------------------------------------------------

    @Override
    public int[] chunkWidths() {
        return rows.layout.widths();
    }

    @Override
    public long rowCount() {
        rows.ensureOpen();
        return rows.total.rows;
    }

    @Override
    public long storedBytes() {
        rows.ensureOpen();
        return rows.total.valueBytes + rows.total.metadataBytes + (rows.shared == null ? 0 : rows.shared.bytes());
    }

    @Override
    public long rowBytes(int mask, Precision[] precisions) {
        return RowSizes.valueBytes(rows.layout, mask, precisions) + RowSizes.metadataBytes(rows.layout, mask, precisions, rows.config.rowAdagrad());
    }

    @Override
    public void forEachRow(RowVisitor visitor) {
        policies.forEachRow(visitor);
    }

    /**
     * Bottom-m sampling: the m (row, chunk) pairs with the smallest {@code CounterRng.bits(seed, key,
     * chunk)}, every stored row taking part (pruned chunks too: their utilities decide re-allocation).
     * The result depends only on the seed and the table's content, written in ascending hash order.
     */
    @Override
    public int sampleUtilities(int chunk, int m, long seed, float[] out) {
        return policies.sampleUtilities(chunk, m, seed, out);
    }

    @Override
    public void pruneChunk(long key, int chunk) {
        policies.pruneChunk(key, chunk);
    }

    /** Allocates a pruned chunk at the precision it last had (optimizer state zero); no-op if stored. */
    @Override
    public void allocateChunk(long key, int chunk, ChunkInit init) {
        policies.allocateChunk(key, chunk, init);
    }

    @Override
    public void allocateChunkFromShared(long key, int chunk, int field, ChunkInit fallback) {
        policies.allocateChunk(key, chunk, fallback, field);
    }

    /** Re-quantizes a stored chunk (stochastic rounding); for a pruned chunk sets the precision it will get. */
    @Override
    public void setPrecision(long key, int chunk, Precision precision) {
        policies.setPrecision(key, chunk, precision);
    }

    /**
     * Stores a row as exported (a warm start from a snapshot): chunk mask, per-chunk precisions, D
     * values and linear weight, with zero optimizer state; marked changed (published next time).
     *
     * @throws IllegalArgumentException when the row is already stored or does not fit the layout
     */
    public void importRow(long key, int mask, Precision[] precisions, float[] values, float linear) {
        policies.importRow(key, mask, precisions, values, linear);
    }

    @Override
    public byte[] encodedRow(long key) {
        return rows.encoded(key);
    }

    @Override
    public void putEncodedRow(long key, byte[] bytes) {
        rows.putEncoded(key, bytes);
    }

    @Override
    public void evictRow(long key) {
        policies.evictRow(key);
    }
}
