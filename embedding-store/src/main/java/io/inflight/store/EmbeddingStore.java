package io.inflight.store;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import io.inflight.policies.UtilityRule;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Embedding rows of chunks at mixed precision: a capacity-bounded hot tier ({@link HotTier}, VHPI)
 * in front of an optional {@link ColdTier}, with batch gather/scatter for training, the policy
 * operations of {@link EmbeddingTable}, exact memory accounting and the set of rows changed since
 * they were last published.
 *
 * <h2>Rows</h2>
 * A row has D dimensions in K chunks ({@link ChunkLayout}); each chunk is stored at a
 * {@link Precision} or pruned (reads as zeros), and keeps a FIITED utility and a row-wise Adagrad
 * accumulator. A row also has a fp32 linear weight with its own accumulator, an access count, the
 * step of its last update and an update counter that keys stochastic rounding: a replay of the same
 * calls reproduces every bit, whatever rows moved between tiers in between (moves copy stored bytes).
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
 * <h2>Lifecycle and threads</h2>
 * Create, call from one thread (a stream task's), {@link #flush} before a commit (the state store
 * does it), {@link #reset} when the cold tier was restored or rolled back. Not thread-safe.
 */
public final class EmbeddingStore implements EmbeddingTable {

    static final String LAYOUT_META = "layout";
    static final String CHANGED_META = "changed/";
    private static final long INIT_SALT = 0x1F1A6EED5EEDL;
    private static final int CHANGED_KEYS_PER_RECORD = 1 << 16;

    private final String name;
    private final StoreConfig config;
    private final ChunkLayout layout;
    private final int k;
    private final int d;
    private final ColdTier cold;
    private final HotTier hot;
    private final Accounting total;
    private final Accounting hotTotal;
    private final RowBuffer loadBuf;
    private final RowBuffer evictBuf;
    private final float[] work;
    private final float[] gradWork;
    private final float[] rowValues;
    private final Precision[] rowPrecisions;
    private final HotView hotView = new HotView();
    private final UtilityRule utilityRule;
    private int newRowMask;
    /** Read and trained by features without a row or chunk of their own; null when off. */
    private SharedRows shared;

    private final LongSet changed = new LongSet();
    private long[] pending = new long[1024];
    private int pendingSize;
    private long firstChangedSeq;
    private long nextChangedSeq;
    private int[] dirtyList = new int[1024];
    private int dirtySize;
    private boolean open;
    private boolean layoutWritten;
    private long coldReads;

    /**
     * @param name   the store's name (in every error message)
     * @param config rows, optimizer, initialisation and hot capacity
     * @param cold   where rows beyond the hot tier live and dirty rows are flushed; null for a store
     *               held entirely in the hot tier
     */
    public EmbeddingStore(String name, StoreConfig config, ColdTier cold) {
        this.name = name;
        this.config = config;
        this.layout = config.layout();
        this.k = layout.chunks();
        this.d = layout.dim();
        this.cold = cold;
        this.hot = new HotTier(layout, config.hotCapacity());
        this.total = new Accounting(layout);
        this.hotTotal = new Accounting(layout);
        this.loadBuf = new RowBuffer(layout);
        this.evictBuf = new RowBuffer(layout);
        this.work = new float[d];
        this.gradWork = new float[d];
        this.rowValues = new float[d];
        this.rowPrecisions = new Precision[k];
        this.utilityRule = config.utility();
        this.newRowMask = (1 << k) - 1;
    }

    /**
     * The chunks a row starts with when {@link #scatter} creates it (all by default; a growth policy
     * starts rows at one chunk, FIITED-2D leaves out dropped columns); the others start pruned at
     * {@link StoreConfig#defaultPrecision}. A row that is not stored reads as zeros in them.
     */
    public void newRowMask(int mask) {
        int all = (1 << k) - 1;
        if (mask == 0 || (mask & ~all) != 0) {
            throw new IllegalArgumentException("store " + name + ": a new row's chunk mask must be a non-empty subset of "
                    + Integer.toBinaryString(all) + ", got " + Integer.toBinaryString(mask));
        }
        newRowMask = mask;
    }

    /**
     * Attaches shared hashed rows ({@link SharedRows}): from now on a row that is not stored reads as
     * its shared row, and a pruned chunk reads (and its gradient trains) the shared row's dimensions.
     * New rows and re-allocated chunks keep their own initialisation: starting them from the shared
     * row (CAFE's warm migration) measured worse here (AdaEmbed at 1/8.4: 0.8058 against 0.8188 AUC).
     * Their bytes count in {@link #storedBytes()}.
     */
    public void attachShared(SharedRows rows) {
        this.shared = rows;
    }

    /** The attached shared rows, or null. */
    public SharedRows shared() {
        return shared;
    }

    @Override
    public long sharedRows() {
        return shared == null ? 0 : shared.rows();
    }

    @Override
    public double takeSharedServedShare() {
        return shared == null ? Double.NaN : shared.takeServedShare();
    }

    @Override
    public void resizeShared(long rows) {
        if (shared == null) {
            EmbeddingTable.super.resizeShared(rows);
        }
        shared.resize(Math.toIntExact(rows));
    }

    /**
     * Adds the gradient of a feature that has no row and gets none this step (refused by
     * admission) to its shared row; applied with the next {@link #scatter}.
     */
    public void scatterShared(long key, float[] grads, int off) {
        if (shared != null) {
            shared.accumulate(key, grads, off, 0, d, true);
        }
    }

    /** A store held entirely in memory (no cold tier). */
    public static EmbeddingStore inMemory(String name, StoreConfig config) {
        return new EmbeddingStore(name, config, null);
    }

    public String name() {
        return name;
    }

    public StoreConfig config() {
        return config;
    }

    public int dim() {
        return d;
    }

    /** Floats per key in gather and scatter buffers: D embedding values, then the linear weight. */
    public int stride() {
        return d + 1;
    }

    /**
     * Writes what a new row of {@code key} starts as (its initialisation, zeros for the chunks
     * outside {@link #newRowMask}, linear weight 0) to {@code out[o .. o + stride())}: what
     * {@link #gather} reads for a key that is not stored when no shared rows are attached.
     */
    public void readNew(long key, float[] out, int o) {
        initInto(config.newRowInit(), key, 0, 0, d, out, o);
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

    /**
     * Reads the rows of {@code keys[0 .. count)} into {@code out}: row i at {@code out[i·stride() ..]},
     * D dequantized values (zeros for pruned chunks) then the linear weight. A row that is not stored
     * reads as its initialisation. Rows found in the cold tier move into the hot tier.
     */
    public void gather(long[] keys, int count, float[] out) {
        gather(keys, count, out, null, null);
    }

    /**
     * {@link #gather(long[], int, float[])}, also reporting each row's chunk mask ({@code -1} when
     * the row is not stored) and access count (0 when not stored) into {@code masks} and
     * {@code accesses} when they are not null.
     */
    public void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        ensureOpen();
        int stride = d + 1;
        checkBuffer("out", out, count, stride);
        for (int i = 0; i < count; i++) {
            long key = keys[i];
            int o = i * stride;
            int e = lookup(key);
            if (e < 0) {
                if (shared != null) {
                    shared.read(key, 0, d, out, o);
                    out[o + d] = shared.linear(key);
                    if (masks != null) {
                        masks[i] = -1;
                    }
                    if (accesses != null) {
                        accesses[i] = 0;
                    }
                    continue;
                }
                readNew(key, out, o);
                if (masks != null) {
                    masks[i] = -1;
                }
                if (accesses != null) {
                    accesses[i] = 0;
                }
                continue;
            }
            int m = hot.mask[e];
            if (masks != null) {
                masks[i] = m;
            }
            if (accesses != null) {
                accesses[i] = hot.accesses[e];
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

    /**
     * Applies one training step's gradients to the rows of {@code keys[0 .. count)}, in that order.
     * Row i's gradient is at {@code grads[i·stride() ..]} (D embedding values, then the linear
     * weight). For every chunk: utility by {@link StoreConfig#utility} with {@code a = accesses[i]}
     * (after decaying it by {@code gamma^(step - lastStep - 1)} for the steps that did not touch the
     * row; views report the utility as of the row's {@link RowView#lastAccessStep})
     * (1 when {@code accesses} is null) and {@code g} = L2 norm of the chunk's gradient (pruned
     * chunks too); for every stored chunk: row-wise Adagrad with L2
     * ({@code G += mean((g + l2·w)²)}, {@code w -= lr·(g + l2·w) / (sqrt(G) + eps)}), written back
     * at the chunk's precision with stochastic rounding keyed by (seed, key, update counter). The
     * linear weight gets the same update with its own accumulator. A key that is not stored is
     * created first. Callers should pass each key once per step with its gradients summed; a
     * repeated key is updated once per occurrence, in order.
     *
     * @throws IllegalArgumentException if a gradient is not finite (nothing is applied)
     */
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step) {
        ensureOpen();
        int stride = d + 1;
        checkBuffer("grads", grads, count, stride);
        for (int i = 0; i < count * stride; i++) {
            if (!Float.isFinite(grads[i])) {
                throw new IllegalArgumentException("store " + name + ": gradient " + grads[i] + " of row key "
                        + keys[i / stride] + " (batch position " + i / stride + ", dimension " + i % stride
                        + ") is not finite; batch not applied");
            }
        }
        float lr = config.learningRate();
        float l2 = config.l2();
        float eps = config.adagradEps();
        for (int i = 0; i < count; i++) {
            long key = keys[i];
            int a = accesses == null ? 1 : accesses[i];
            int g0 = i * stride;
            boolean fresh = false;
            int e = lookup(key);
            if (e < 0) {
                e = createRow(key);
                fresh = true;

            }
            long rng = CounterRng.bits(config.seed(), key, hot.updates[e]);
            int base = e * k;
            // Eq. 1 decays once per step; steps that did not touch the row are folded in here (lazily).
            long skipped = fresh ? 0 : step - hot.lastStep[e] - 1;
            double decay = skipped > 0 ? Math.pow(utilityRule.gamma(), skipped) : 1.0;
            int m = hot.mask[e];
            for (int c = 0; c < k; c++) {
                int off = layout.offset(c);
                int w = layout.width(c);
                float sq = 0f;
                for (int j = 0; j < w; j++) {
                    float g = grads[g0 + off + j];
                    sq += g * g;
                }
                float u = skipped > 0 ? (float) (hot.utility[base + c] * decay) : hot.utility[base + c];
                hot.utility[base + c] = utilityRule.update(u, a, (float) Math.sqrt(sq));
                if ((m & (1 << c)) == 0) {
                    if (shared != null) {
                        shared.accumulate(key, grads, g0, off, w, false);
                    }
                    continue;
                }
                if (fresh) {
                    initInto(config.newRowInit(), key, 0, off, w, work, 0);
                } else {
                    hot.decode(e, c, work, 0);
                }
                float s2 = 0f;
                for (int j = 0; j < w; j++) {
                    float g = grads[g0 + off + j] + l2 * work[j];
                    gradWork[j] = g;
                    s2 += g * g;
                }
                float acc = hot.accumulator[base + c] + s2 / w;
                hot.accumulator[base + c] = acc;
                float rate = lr / ((float) Math.sqrt(acc) + eps);
                for (int j = 0; j < w; j++) {
                    float v = work[j] - rate * gradWork[j];
                    if (!Float.isFinite(v)) {
                        throw new StoreException(name, key, "update made dimension " + (off + j) + " non-finite");
                    }
                    work[j] = v;
                }
                hot.encode(e, c, work, 0, rng);
            }
            float lg = grads[g0 + d] + l2 * hot.linear[e];
            float linAcc = hot.linearAcc[e] + lg * lg;
            hot.linearAcc[e] = linAcc;
            hot.linear[e] -= lr * lg / ((float) Math.sqrt(linAcc) + eps);
            hot.accesses[e] += a;
            hot.lastStep[e] = step;
            hot.updates[e]++;
            markDirty(e);
        }
        if (shared != null) {
            shared.apply();
        }
    }

    /**
     * Reads row {@code key} (D values, zero-padded, then the linear weight) into {@code dst[off ..]}
     * without moving it between tiers.
     *
     * @return false when the row is not stored ({@code dst} untouched)
     */
    public boolean read(long key, float[] dst, int off) {
        ensureOpen();
        int e = hot.find(key);
        if (e >= 0) {
            hot.copyOut(e, loadBuf);
        } else if (!readCold(key, loadBuf)) {
            return false;
        }
        loadBuf.values(dst, off);
        dst[off + d] = loadBuf.linear;
        return true;
    }

    /**
     * Writes every dirty hot row and the keys changed since the last flush to the cold tier; a no-op
     * without a cold tier. Called by the state store before each commit.
     */
    public void flush() {
        if (!open || cold == null) {
            return;
        }
        if (!layoutWritten) {
            cold.putMeta(LAYOUT_META, layout.toString().getBytes(StandardCharsets.UTF_8));
            layoutWritten = true;
        }
        long[] keys = new long[dirtySize];
        byte[][] encoded = new byte[dirtySize][];
        int rows = 0;
        for (int i = 0; i < dirtySize; i++) {
            int e = dirtyList[i];
            if (hot.dirty[e]) {
                hot.copyOut(e, evictBuf);
                keys[rows] = hot.key[e];
                encoded[rows++] = RowCodec.encode(evictBuf);
                hot.dirty[e] = false;
            }
        }
        cold.putAll(keys, encoded, rows);
        dirtySize = 0;
        for (int from = 0; from < pendingSize; from += CHANGED_KEYS_PER_RECORD) {
            int n = Math.min(CHANGED_KEYS_PER_RECORD, pendingSize - from);
            ByteBuffer b = ByteBuffer.allocate(8 * n);
            for (int i = 0; i < n; i++) {
                b.putLong(pending[from + i]);
            }
            cold.putMeta(changedName(nextChangedSeq++), b.array());
        }
        pendingSize = 0;
    }

    /**
     * Forgets everything held in memory (hot rows, dirty or not, and counters); the next call
     * reloads from the cold tier. Called when the cold tier was restored or rolled back.
     */
    public void reset() {
        open = false;
    }

    /** Keys changed (written, pruned, re-quantized, evicted) since {@link #clearChanged}. */
    public int changedCount() {
        ensureOpen();
        return changed.size();
    }

    /**
     * Visits every row changed since the last {@link #clearChanged}, in ascending unsigned key
     * order: its current values, or {@link RowSink#evicted} when it is no longer stored. The set of
     * changed keys is part of the flushed state, so it survives a crash with the rows it describes.
     */
    public void forEachChanged(RowSink sink) {
        ensureOpen();
        for (long key : changed.sortedUnsigned()) {
            if (!emit(key, sink)) {
                sink.evicted(key);
            }
        }
    }

    /** Empties the set of changed keys (after they were published). */
    public void clearChanged() {
        ensureOpen();
        changed.clear();
        pendingSize = 0;
        if (cold != null) {
            for (long s = firstChangedSeq; s < nextChangedSeq; s++) {
                cold.deleteMeta(changedName(s));
            }
        }
        firstChangedSeq = nextChangedSeq;
    }

    /** Visits every stored row with its values, in ascending unsigned key order (a snapshot). */
    public void snapshot(RowSink sink) {
        ensureOpen();
        visitAll(new Visit() {
            @Override
            public void hot(int e) {
                hot.copyOut(e, loadBuf);
                sinkRow(loadBuf, sink);
            }

            @Override
            public void cold(RowBuffer row) {
                sinkRow(row, sink);
            }
        });
    }

    /**
     * SHA-256 over every row in ascending unsigned key order: its 8-byte key and its full encoded
     * form ({@link RowCodec}: values, precisions, utilities, optimizer state, counters). Equal digests
     * mean bit-identical tables, whatever tier each row was in.
     */
    public byte[] digest() {
        ensureOpen();
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        ByteBuffer keyBytes = ByteBuffer.allocate(8);
        visitAll(new Visit() {
            @Override
            public void hot(int e) {
                hot.copyOut(e, loadBuf);
                cold(loadBuf);
            }

            @Override
            public void cold(RowBuffer row) {
                md.update(keyBytes.clear().putLong(row.key).array());
                md.update(RowCodec.encode(row));
            }
        });
        if (shared != null) {
            shared.digest(md);
        }
        return md.digest();
    }

    /** Reads that missed the hot tier and went to the cold tier (found or not), since creation. */
    public long coldReads() {
        return coldReads;
    }

    /** Exact bytes by tier, precision and chunk. */
    public MemoryReport memory() {
        ensureOpen();
        return MemoryReport.of(total, hotTotal, hot.allocatedBytes(), d);
    }

    // ---- EmbeddingTable -------------------------------------------------------------------------

    @Override
    public int[] chunkWidths() {
        return layout.widths();
    }

    @Override
    public long rowCount() {
        ensureOpen();
        return total.rows;
    }

    @Override
    public long storedBytes() {
        ensureOpen();
        return total.valueBytes + total.metadataBytes + (shared == null ? 0 : shared.bytes());
    }

    @Override
    public long rowBytes(int mask, Precision[] precisions) {
        return RowSizes.valueBytes(layout, mask, precisions) + RowSizes.metadataBytes(layout, mask, precisions);
    }

    @Override
    public void forEachRow(RowVisitor visitor) {
        ensureOpen();
        visitAll(new Visit() {
            @Override
            public void hot(int e) {
                hotView.e = e;
                visitor.visit(hotView);
            }

            @Override
            public void cold(RowBuffer row) {
                visitor.visit(row);
            }
        });
    }

    /**
     * Bottom-m sampling: the m (row, chunk) pairs with the smallest {@code CounterRng.bits(seed, key,
     * chunk)}, every stored row taking part (pruned chunks too: their utilities decide re-allocation).
     * The result depends only on the seed and the table's content, written in ascending hash order.
     */
    @Override
    public int sampleUtilities(int chunk, int m, long seed, float[] out) {
        ensureOpen();
        if (chunk < -1 || chunk >= k) {
            throw new IllegalArgumentException("chunk must be in [-1, " + k + "), got " + chunk);
        }
        if (m < 0 || m > out.length) {
            throw new IllegalArgumentException("m must be in [0, out.length = " + out.length + "], got " + m);
        }
        long[] heapH = new long[m];
        float[] heapU = new float[m];
        int[] size = {0};
        visitAll(new Visit() {
            @Override
            public void hot(int e) {
                for (int c = chunk < 0 ? 0 : chunk; c < (chunk < 0 ? k : chunk + 1); c++) {
                    offer(CounterRng.bits(seed, hot.key[e], c) >>> 1, hot.utility[e * k + c]);
                }
            }

            @Override
            public void cold(RowBuffer row) {
                for (int c = chunk < 0 ? 0 : chunk; c < (chunk < 0 ? k : chunk + 1); c++) {
                    offer(CounterRng.bits(seed, row.key, c) >>> 1, row.utility[c]);
                }
            }

            private void offer(long h, float u) {
                if (m == 0) {
                    return;
                }
                if (size[0] < m) {
                    int i = size[0]++;
                    heapH[i] = h;
                    heapU[i] = u;
                    while (i > 0 && heapH[(i - 1) / 2] < heapH[i]) {
                        swap(heapH, heapU, i, (i - 1) / 2);
                        i = (i - 1) / 2;
                    }
                } else if (h < heapH[0]) {
                    heapH[0] = h;
                    heapU[0] = u;
                    int i = 0;
                    while (true) {
                        int l = 2 * i + 1;
                        int r = l + 1;
                        int big = i;
                        if (l < m && heapH[l] > heapH[big]) {
                            big = l;
                        }
                        if (r < m && heapH[r] > heapH[big]) {
                            big = r;
                        }
                        if (big == i) {
                            break;
                        }
                        swap(heapH, heapU, i, big);
                        i = big;
                    }
                }
            }
        });
        int n = size[0];
        // Ascending hash order: repeatedly take the heap maximum to the end.
        for (int end = n - 1; end > 0; end--) {
            swap(heapH, heapU, 0, end);
            int i = 0;
            while (true) {
                int l = 2 * i + 1;
                int r = l + 1;
                int big = i;
                if (l < end && heapH[l] > heapH[big]) {
                    big = l;
                }
                if (r < end && heapH[r] > heapH[big]) {
                    big = r;
                }
                if (big == i) {
                    break;
                }
                swap(heapH, heapU, i, big);
                i = big;
            }
        }
        System.arraycopy(heapU, 0, out, 0, n);
        return n;
    }

    @Override
    public void pruneChunk(long key, int chunk) {
        int e = existing(key, chunk);
        if ((hot.mask[e] & (1 << chunk)) == 0) {
            return;
        }
        int i = e * k + chunk;
        total.chunk(chunk, hot.precision[i], -1);
        hotTotal.chunk(chunk, hot.precision[i], -1);
        hot.releaseSlot(e, chunk);
        hot.accumulator[i] = 0f;
        hot.scale[i] = 0f;
        markDirty(e);
    }

    /** Allocates a pruned chunk at the precision it last had (optimizer state zero); no-op if stored. */
    @Override
    public void allocateChunk(long key, int chunk, ChunkInit init) {
        int e = existing(key, chunk);
        if ((hot.mask[e] & (1 << chunk)) != 0) {
            return;
        }
        int i = e * k + chunk;
        hot.allocateSlot(e, chunk);
        long counter = hot.updates[e];
        initInto(init, key, counter + 1, layout.offset(chunk), layout.width(chunk), work, 0);
        hot.encode(e, chunk, work, 0, CounterRng.bits(config.seed(), key, counter));
        hot.accumulator[i] = 0f;
        hot.updates[e]++;
        total.chunk(chunk, hot.precision[i], 1);
        hotTotal.chunk(chunk, hot.precision[i], 1);
        markDirty(e);
    }

    /** Re-quantizes a stored chunk (stochastic rounding); for a pruned chunk sets the precision it will get. */
    @Override
    public void setPrecision(long key, int chunk, Precision precision) {
        int e = existing(key, chunk);
        int i = e * k + chunk;
        byte p = (byte) precision.ordinal();
        if (hot.precision[i] == p) {
            return;
        }
        if ((hot.mask[e] & (1 << chunk)) != 0) {
            hot.decode(e, chunk, work, 0);
            total.chunk(chunk, hot.precision[i], -1);
            hotTotal.chunk(chunk, hot.precision[i], -1);
            hot.releaseSlot(e, chunk);
            hot.precision[i] = p;
            hot.allocateSlot(e, chunk);
            hot.encode(e, chunk, work, 0, CounterRng.bits(config.seed(), key, hot.updates[e]));
            hot.updates[e]++;
            total.chunk(chunk, p, 1);
            hotTotal.chunk(chunk, p, 1);
        } else {
            hot.precision[i] = p;
        }
        markDirty(e);
    }

    @Override
    public void evictRow(long key) {
        ensureOpen();
        boolean existed = false;
        int e = hot.find(key);
        if (e >= 0) {
            total.add(hot.mask[e], hot.precision, e * k, -1);
            hotTotal.add(hot.mask[e], hot.precision, e * k, -1);
            hot.release(e);
            existed = true;
        } else if (readCold(key, loadBuf)) {
            total.add(loadBuf.mask, loadBuf.precision, 0, -1);
            existed = true;
        }
        if (existed) {
            if (cold != null) {
                cold.delete(key);
            }
            recordChange(key);
        }
    }

    // ---- internals ------------------------------------------------------------------------------

    private void ensureOpen() {
        if (open) {
            return;
        }
        hot.clear();
        total.clear();
        hotTotal.clear();
        changed.clear();
        pendingSize = 0;
        dirtySize = 0;
        firstChangedSeq = 0;
        nextChangedSeq = 0;
        layoutWritten = false;
        if (cold != null) {
            byte[] stored = cold.getMeta(LAYOUT_META);
            if (stored != null) {
                String s = new String(stored, StandardCharsets.UTF_8);
                if (!s.equals(layout.toString())) {
                    throw new StoreException(name, "stored rows were written with chunk widths " + s
                            + " but the store is configured with " + layout);
                }
                layoutWritten = true;
            }
            cold.forEachRow((key, bytes) -> {
                RowCodec.decode(bytes, loadBuf, name, key);
                total.add(loadBuf.mask, loadBuf.precision, 0, 1);
            });
            long[] seqs = {-1, -1};
            cold.forEachMeta(CHANGED_META, (n, v) -> {
                long seq = Long.parseUnsignedLong(n.substring(CHANGED_META.length()), 16);
                if (seqs[0] < 0) {
                    seqs[0] = seq;
                }
                seqs[1] = seq;
                ByteBuffer b = ByteBuffer.wrap(v);
                while (b.remaining() >= 8) {
                    changed.add(b.getLong());
                }
            });
            if (seqs[0] >= 0) {
                firstChangedSeq = seqs[0];
                nextChangedSeq = seqs[1] + 1;
            }
        }
        open = true;
    }

    private static String changedName(long seq) {
        return CHANGED_META + String.format("%016x", seq);
    }

    /** The hot entry of {@code key} (loading it from the cold tier), or -1 when not stored. */
    private int lookup(long key) {
        int e = hot.find(key);
        if (e >= 0) {
            hot.touch(e);
            return e;
        }
        if (!readCold(key, loadBuf)) {
            return -1;
        }
        e = admit(key);
        hot.copyIn(e, loadBuf);
        hot.mask[e] = loadBuf.mask;
        hotTotal.add(hot.mask[e], hot.precision, e * k, 1);
        return e;
    }

    /** Reads a row that is not in the hot tier from the cold tier; only called after a hot miss. */
    private boolean readCold(long key, RowBuffer into) {
        if (cold == null || total.rows == hotTotal.rows) {
            return false; // every stored row is hot: a hot miss is a row that is not stored at all
        }
        coldReads++;
        byte[] bytes = cold.get(key);
        if (bytes == null) {
            return false;
        }
        RowCodec.decode(bytes, into, name, key);
        return true;
    }

    private int existing(long key, int chunk) {
        ensureOpen();
        if (chunk < 0 || chunk >= k) {
            throw new IllegalArgumentException("store " + name + ": chunk must be in [0, " + k + "), got " + chunk);
        }
        int e = lookup(key);
        if (e < 0) {
            throw new IllegalArgumentException("store " + name + " has no row for key " + key);
        }
        return e;
    }

    private int admit(long key) {
        if (hot.full()) {
            if (cold == null) {
                throw new StoreException(name, key, "hot tier is full at " + hot.maxEntries
                        + " rows and the store has no cold tier; raise hotCapacity");
            }
            int v = hot.lru();
            if (hot.dirty[v]) {
                writeCold(v, evictBuf);
            }
            hotTotal.add(hot.mask[v], hot.precision, v * k, -1);
            hot.release(v);
        }
        return hot.allocate(key);
    }

    private int createRow(long key) {
        int e = admit(key);
        byte p = (byte) config.defaultPrecision().ordinal();
        for (int c = 0; c < k; c++) {
            hot.precision[e * k + c] = p;
            if ((newRowMask & (1 << c)) != 0) {
                hot.allocateSlot(e, c);
            }
        }
        total.add(hot.mask[e], hot.precision, e * k, 1);
        hotTotal.add(hot.mask[e], hot.precision, e * k, 1);
        return e;
    }

    private void writeCold(int e, RowBuffer buf) {
        hot.copyOut(e, buf);
        cold.put(hot.key[e], RowCodec.encode(buf));
        hot.dirty[e] = false;
    }

    private void markDirty(int e) {
        if (!hot.dirty[e]) {
            hot.dirty[e] = true;
            if (cold != null) {
                if (dirtySize == dirtyList.length) {
                    dirtyList = Arrays.copyOf(dirtyList, dirtySize * 2);
                }
                dirtyList[dirtySize++] = e;
            }
        }
        recordChange(hot.key[e]);
    }

    private void recordChange(long key) {
        if (changed.add(key)) {
            if (pendingSize == pending.length) {
                pending = Arrays.copyOf(pending, pendingSize * 2);
            }
            pending[pendingSize++] = key;
        }
    }

    /** Initial values of dimensions {@code [dimOff, dimOff + n)} of {@code key}'s row. */
    private void initInto(ChunkInit init, long key, long counter, int dimOff, int n, float[] dst, int dstOff) {
        if (init == ChunkInit.ZERO) {
            Arrays.fill(dst, dstOff, dstOff + n, 0f);
            return;
        }
        long base = CounterRng.bits(config.seed() ^ INIT_SALT, key, counter);
        float s = config.initScale();
        for (int j = 0; j < n; j++) {
            dst[dstOff + j] = s * (2f * CounterRng.unit(CounterRng.at(base, dimOff + j)) - 1f);
        }
    }

    private boolean emit(long key, RowSink sink) {
        int e = hot.find(key);
        if (e >= 0) {
            hot.copyOut(e, loadBuf);
        } else if (!readCold(key, loadBuf)) {
            return false;
        }
        sinkRow(loadBuf, sink);
        return true;
    }

    private void sinkRow(RowBuffer row, RowSink sink) {
        row.values(rowValues, 0);
        for (int c = 0; c < k; c++) {
            rowPrecisions[c] = RowBuffer.PRECISIONS[row.precision[c]];
        }
        sink.row(row.key, row.mask, rowPrecisions, rowValues, row.linear);
    }

    private void checkBuffer(String what, float[] buf, int count, int stride) {
        if ((long) count * stride > buf.length) {
            throw new IllegalArgumentException("store " + name + ": " + what + " holds " + buf.length
                    + " floats, " + count + " rows need " + (long) count * stride);
        }
    }

    private interface Visit {
        void hot(int e);

        void cold(RowBuffer row);
    }

    /** Every row once in ascending unsigned key order: hot rows from the hot tier, the rest decoded. */
    private void visitAll(Visit visit) {
        int[] entries = hot.entries();
        long[] hotKeys = new long[entries.length];
        for (int i = 0; i < entries.length; i++) {
            hotKeys[i] = hot.key[entries[i]];
        }
        LongSet.sortUnsigned(hotKeys, hotKeys.length);
        int[] next = {0};
        // Every stored row is hot (nothing lives only in the cold tier): the cold copies are all
        // shadowed, so skip reading them; the visit order (ascending unsigned key) is the same.
        boolean coldOnlyRows = total.rows != hotTotal.rows;
        if (cold != null && coldOnlyRows) {
            RowBuffer buf = new RowBuffer(layout);
            cold.forEachRow((key, bytes) -> {
                while (next[0] < hotKeys.length && Long.compareUnsigned(hotKeys[next[0]], key) < 0) {
                    visit.hot(hot.find(hotKeys[next[0]++]));
                }
                if (next[0] < hotKeys.length && hotKeys[next[0]] == key) {
                    return; // the hot copy is current; visited when the merge passes it
                }
                RowCodec.decode(bytes, buf, name, key);
                visit.cold(buf);
            });
        }
        while (next[0] < hotKeys.length) {
            visit.hot(hot.find(hotKeys[next[0]++]));
        }
    }

    private static void swap(long[] h, float[] u, int i, int j) {
        long th = h[i];
        h[i] = h[j];
        h[j] = th;
        float tu = u[i];
        u[i] = u[j];
        u[j] = tu;
    }

    /** {@link RowView} of one hot entry. */
    private final class HotView implements RowView {
        int e;

        @Override
        public long key() {
            return hot.key[e];
        }

        @Override
        public int mask() {
            return hot.mask[e];
        }

        @Override
        public Precision precision(int chunk) {
            return RowBuffer.PRECISIONS[hot.precision[e * k + chunk]];
        }

        @Override
        public float utility(int chunk) {
            return hot.utility[e * k + chunk];
        }

        @Override
        public long accesses() {
            return hot.accesses[e];
        }

        @Override
        public long lastAccessStep() {
            return hot.lastStep[e];
        }
    }
}
