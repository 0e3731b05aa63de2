package io.inflight.store;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.EmbeddingTable.RowVisitor;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;

/**
 * The policy operations of an {@link EmbeddingStore} ({@link io.inflight.policies.EmbeddingTable}):
 * visit, sample utilities, prune, allocate, set precision, evict. Each changed row is marked dirty
 * and changed. Owns its scratch buffers; reads and writes the rows of {@link TieredRows}. Not
 * thread-safe.
 */
final class PolicyOps {

    private final TieredRows rows;
    private final HotTier hot;
    private final int k;
    private final float[] work;
    private final HotView hotView = new HotView();

    PolicyOps(TieredRows rows) {
        this.rows = rows;
        this.hot = rows.hot;
        this.k = rows.k;
        this.work = new float[rows.d];
    }

    void forEachRow(RowVisitor visitor) {
        rows.ensureOpen();
        rows.visitAll(new TieredRows.Visit() {
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
    int sampleUtilities(int chunk, int m, long seed, float[] out) {
        rows.ensureOpen();
        if (chunk < -1 || chunk >= k) {
            throw new IllegalArgumentException("chunk must be in [-1, " + k + "), got " + chunk);
        }
        if (m < 0 || m > out.length) {
            throw new IllegalArgumentException("m must be in [0, out.length = " + out.length + "], got " + m);
        }
        long[] heapH = new long[m];
        float[] heapU = new float[m];
        int[] size = {0};
        rows.visitAll(new TieredRows.Visit() {
            @Override
            public void hot(int e) {
                for (int c = chunk < 0 ? 0 : chunk; c < (chunk < 0 ? k : chunk + 1); c++) {
                    offer(CounterRng.bits(seed, hot.key[e], c) >>> 1, hot.utility(e, c));
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
                    siftDown(heapH, heapU, 0, m);
                }
            }
        });
        int n = size[0];
        // Ascending hash order: repeatedly take the heap maximum to the end.
        for (int end = n - 1; end > 0; end--) {
            swap(heapH, heapU, 0, end);
            siftDown(heapH, heapU, 0, end);
        }
        System.arraycopy(heapU, 0, out, 0, n);
        return n;
    }

    /** Restores the max-heap on hashes {@code h[0 .. end)} below position {@code i}. */
    private static void siftDown(long[] h, float[] u, int i, int end) {
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int big = i;
            if (l < end && h[l] > h[big]) {
                big = l;
            }
            if (r < end && h[r] > h[big]) {
                big = r;
            }
            if (big == i) {
                return;
            }
            swap(h, u, i, big);
            i = big;
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

    void pruneChunk(long key, int chunk) {
        int e = rows.existing(key, chunk);
        if (!hot.stored(e, chunk)) {
            return;
        }
        int i = e * k + chunk;
        rows.total.chunk(chunk, hot.precision(e, chunk), -1);
        rows.hotTotal.chunk(chunk, hot.precision(e, chunk), -1);
        hot.releaseSlot(e, chunk);
        if (!hot.rowAdagrad) {
            hot.accumulator[i] = 0;
        }
        rows.log.markDirty(e);
    }

    /** Allocates a pruned chunk at the precision it last had (optimizer state zero); no-op if stored. */
    void allocateChunk(long key, int chunk, ChunkInit init) {
        allocateChunk(key, chunk, init, -1);
    }

    /**
     * Allocates a pruned chunk; with shared rows and a {@code field} >= 0 it starts from the chunk's
     * dimensions of the key's shared row times the field's gate (what it read while pruned), else as
     * {@code init} says.
     */
    void allocateChunk(long key, int chunk, ChunkInit init, int field) {
        int e = rows.existing(key, chunk);
        if (hot.stored(e, chunk)) {
            return;
        }
        int i = e * k + chunk;
        hot.allocateSlot(e, chunk);
        int off = rows.layout.offset(chunk);
        int w = rows.layout.width(chunk);
        SharedRows shared = rows.shared;
        if (shared != null && field >= 0 && field < shared.fields()) {
            shared.read(key, off, w, work, 0);
            float g = shared.gate(field);
            for (int j = 0; j < w; j++) {
                work[j] *= g;
            }
        } else {
            // counter 0 is the row's own initialisation; a re-allocation draws by the row's last step
            rows.initInto(init, key, 1 + hot.lastStep(e), off, w, work, 0);
        }
        hot.encode(e, chunk, work, 0, rows.opRng(e, TieredRows.OP_ALLOCATE, hot.precision(e, chunk)));
        if (!hot.rowAdagrad) {
            hot.accumulator[i] = 0; // a row's one accumulator carries on
        }
        rows.total.chunk(chunk, hot.precision(e, chunk), 1);
        rows.hotTotal.chunk(chunk, hot.precision(e, chunk), 1);
        rows.log.markDirty(e);
    }

    /** Re-quantizes a stored chunk (stochastic rounding); for a pruned chunk sets the precision it will get. */
    void setPrecision(long key, int chunk, Precision precision) {
        int e = rows.existing(key, chunk);
        byte p = (byte) precision.ordinal();
        if (hot.precision(e, chunk) == p) {
            return;
        }
        if (hot.stored(e, chunk)) {
            hot.decode(e, chunk, work, 0);
            rows.total.chunk(chunk, hot.precision(e, chunk), -1);
            rows.hotTotal.chunk(chunk, hot.precision(e, chunk), -1);
            hot.releaseSlot(e, chunk);
            hot.setPrecision(e, chunk, p);
            hot.allocateSlot(e, chunk);
            hot.encode(e, chunk, work, 0, rows.opRng(e, TieredRows.OP_PRECISION, p));
            rows.total.chunk(chunk, p, 1);
            rows.hotTotal.chunk(chunk, p, 1);
        } else {
            hot.setPrecision(e, chunk, p);
        }
        rows.log.markDirty(e);
    }

    /**
     * Stores a row as exported (a warm start from a snapshot): chunk mask, per-chunk precisions,
     * D values (written at those precisions) and linear weight; optimizer state, utilities and
     * counters start at zero. The row must not be stored yet.
     */
    void importRow(long key, int mask, Precision[] precisions, float[] values, float linear) {
        rows.ensureOpen();
        if (mask == 0 || (mask & ~((1 << k) - 1)) != 0 || precisions.length != k || values.length < rows.d) {
            throw new IllegalArgumentException("store " + rows.name + ": row " + key + " has mask " + Integer.toBinaryString(mask)
                    + ", " + precisions.length + " precisions and " + values.length + " values; the table has " + k
                    + " chunks and D = " + rows.d);
        }
        if (rows.lookup(key) >= 0) {
            throw new IllegalArgumentException("store " + rows.name + " already has a row for key " + key);
        }
        int e = rows.createRow(key);
        for (int c = 0; c < k; c++) {
            if (hot.stored(e, c)) {
                rows.total.chunk(c, hot.precision(e, c), -1);
                rows.hotTotal.chunk(c, hot.precision(e, c), -1);
                hot.releaseSlot(e, c);
            }
            byte p = (byte) precisions[c].ordinal();
            hot.setPrecision(e, c, p);
            if ((mask & (1 << c)) != 0) {
                hot.allocateSlot(e, c);
                hot.encode(e, c, values, rows.layout.offset(c), rows.opRng(e, TieredRows.OP_IMPORT, p));
                rows.total.chunk(c, p, 1);
                rows.hotTotal.chunk(c, p, 1);
            }
        }
        hot.linear[e] = linear;
        rows.log.markDirty(e);
    }

    void evictRow(long key) {
        rows.ensureOpen();
        boolean existed = false;
        int e = hot.find(key);
        if (e >= 0) {
            rows.total.add(hot, e, -1);
            rows.hotTotal.add(hot, e, -1);
            hot.release(e);
            existed = true;
        } else if (rows.readCold(key, rows.loadBuf)) {
            rows.total.add(rows.loadBuf.mask, rows.loadBuf.precision, 0, -1);
            existed = true;
        }
        if (existed) {
            if (rows.cold != null) {
                rows.cold.delete(key);
            }
            rows.log.recordChange(key);
        }
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
            return hot.mask(e);
        }

        @Override
        public Precision precision(int chunk) {
            return RowBuffer.PRECISIONS[hot.precision(e, chunk)];
        }

        @Override
        public float utility(int chunk) {
            return hot.utility(e, chunk);
        }

        @Override
        public long accesses() {
            return hot.accesses(e);
        }

        @Override
        public long lastAccessStep() {
            return hot.lastStep(e);
        }
    }
}
