package io.inflight.store;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import java.util.Arrays;

/**
 * The state of an {@link EmbeddingStore} and the tier mechanics every part of it shares: the hot
 * tier in front of the optional cold tier, the running byte totals, loading a row from the cold tier
 * into the hot tier (moving the least recently used row out), creating rows, the ordered visit of
 * every row and the counter-based initialisation. The operations live in {@link RowUpdates},
 * {@link PolicyOps}, {@link RowExport} and {@link ChangedKeys}, which read and write these fields.
 * Not thread-safe.
 */
final class TieredRows {

    private static final long INIT_SALT = 0x1F1A6EED5EEDL;
    private static final long OP_SALT = 0x90C1E5A1705EL;
    /** The policy operations {@link #opRng} keys: a chunk (re-)allocated, re-quantized, a row imported. */
    static final int OP_ALLOCATE = 1;
    static final int OP_PRECISION = 2;
    static final int OP_IMPORT = 3;

    final String name;
    final StoreConfig config;
    final ChunkLayout layout;
    final int k;
    final int d;
    final ColdTier cold;
    final HotTier hot;
    /** Every stored row, whatever its tier. */
    final Accounting total;
    /** The rows in the hot tier. */
    final Accounting hotTotal;
    final ChangedKeys log;
    /** Scratch for a row read from the cold tier or copied out of the hot tier within one call. */
    final RowBuffer loadBuf;
    private final RowBuffer evictBuf;
    int newRowMask;
    /** Read and trained by features without a row or chunk of their own; null when off. */
    SharedRows shared;
    private boolean open;
    private long coldReads;

    TieredRows(String name, StoreConfig config, ColdTier cold) {
        this.name = name;
        this.config = config;
        this.layout = config.layout();
        this.k = layout.chunks();
        this.d = layout.dim();
        this.cold = cold;
        this.hot = new HotTier(layout, config.hotCapacity(), config.rowAdagrad());
        this.total = new Accounting(layout, config.rowAdagrad());
        this.hotTotal = new Accounting(layout, config.rowAdagrad());
        this.log = new ChangedKeys(name, layout, hot, cold);
        this.loadBuf = new RowBuffer(layout);
        this.evictBuf = new RowBuffer(layout);
        this.newRowMask = (1 << k) - 1;
    }

    boolean isOpen() {
        return open;
    }

    /** Forgets everything held in memory; the next {@link #ensureOpen} reloads from the cold tier. */
    void close() {
        open = false;
    }

    long coldReads() {
        return coldReads;
    }

    /** Loads the totals and the change log from the cold tier after creation or {@link #close}. */
    void ensureOpen() {
        if (open) {
            return;
        }
        hot.clear();
        total.clear();
        hotTotal.clear();
        log.clear();
        if (cold != null) {
            log.checkLayout();
            cold.forEachRow((key, bytes) -> {
                RowCodec.decode(bytes, loadBuf, name, key);
                total.add(loadBuf.mask, loadBuf.precision, 0, 1);
            });
            log.load();
        }
        open = true;
    }

    /** The hot entry of {@code key} (loading it from the cold tier), or -1 when not stored. */
    int lookup(long key) {
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
        hotTotal.add(hot, e, 1);
        return e;
    }

    /** Reads a row that is not in the hot tier from the cold tier; only called after a hot miss. */
    boolean readCold(long key, RowBuffer into) {
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

    /** The hot entry of a stored row, for an operation on its chunk {@code chunk}. */
    int existing(long key, int chunk) {
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

    /** The whole encoded form of {@code key}'s row ({@link RowCodec}), or null when it is not stored. */
    byte[] encoded(long key) {
        ensureOpen();
        int e = lookup(key);
        if (e < 0) {
            return null;
        }
        hot.copyOut(e, evictBuf);
        return RowCodec.encode(evictBuf);
    }

    /**
     * Holds {@code bytes} ({@link RowCodec}, e.g. from {@link #encoded} of another store with the same
     * layout) as {@code key}'s row, replacing the row stored: values, precisions, utilities, optimizer
     * state and counters, so updates go on from it exactly as they would in the store it came from.
     */
    void putEncoded(long key, byte[] bytes) {
        ensureOpen();
        RowBuffer row = new RowBuffer(layout);
        RowCodec.decode(bytes, row, name, key);
        int e = lookup(key);
        if (e >= 0) {
            total.add(hot, e, -1);
            hotTotal.add(hot, e, -1);
            hot.release(e);
        }
        e = admit(key);
        hot.copyIn(e, row);
        total.add(hot, e, 1);
        hotTotal.add(hot, e, 1);
        log.markDirty(e);
    }

    private int admit(long key) {
        if (hot.full()) {
            if (cold == null) {
                throw new StoreException(name, key, "hot tier is full at " + hot.maxEntries
                        + " rows and the store has no cold tier; raise hotCapacity");
            }
            int v = hot.lru();
            if (hot.dirty[v]) {
                hot.copyOut(v, evictBuf);
                cold.put(hot.key[v], RowCodec.encode(evictBuf));
                hot.dirty[v] = false;
            }
            hotTotal.add(hot, v, -1);
            hot.release(v);
        }
        return hot.allocate(key);
    }

    /** A new hot row for {@code key}: the chunks of {@link #newRowMask} allocated, at the default precision. */
    int createRow(long key) {
        int e = admit(key);
        byte p = (byte) config.defaultPrecision().ordinal();
        for (int c = 0; c < k; c++) {
            hot.setPrecision(e, c, p);
            if ((newRowMask & (1 << c)) != 0) {
                hot.allocateSlot(e, c);
            }
        }
        total.add(hot, e, 1);
        hotTotal.add(hot, e, 1);
        return e;
    }

    /**
     * The stream of a policy operation that encodes chunks of hot entry {@code e} at precision
     * ordinal {@code p}: keyed by (seed, key, the row's last access step, {@code op}, {@code p}), all
     * part of the row's state, so a replay draws the same numbers (independent of the training
     * step's stream by its own salt). Repeating an operation before the row's next update repeats
     * its draws.
     */
    long opRng(int e, int op, int p) {
        return CounterRng.bits(config.seed() ^ OP_SALT, hot.key[e], (hot.lastStep(e) << 8) | ((long) op << 4) | p);
    }

    /** Initial values of dimensions {@code [dimOff, dimOff + n)} of {@code key}'s row. */
    void initInto(ChunkInit init, long key, long counter, int dimOff, int n, float[] dst, int dstOff) {
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

    void checkBuffer(String what, float[] buf, int count, int stride) {
        if ((long) count * stride > buf.length) {
            throw new IllegalArgumentException("store " + name + ": " + what + " holds " + buf.length
                    + " floats, " + count + " rows need " + (long) count * stride);
        }
    }

    /** Receives the rows of {@link #visitAll}. */
    interface Visit {
        void hot(int e);

        void cold(RowBuffer row);
    }

    /** Every row once in ascending unsigned key order: hot rows from the hot tier, the rest decoded. */
    void visitAll(Visit visit) {
        int[] entries = hot.entries();
        long[] hotKeys = new long[entries.length];
        for (int i = 0; i < entries.length; i++) {
            hotKeys[i] = hot.key[entries[i]];
        }
        LongSet.sortUnsigned(hotKeys, entries, hotKeys.length); // entries[i] is the slot of hotKeys[i]
        int[] next = {0};
        // Every stored row is hot (nothing lives only in the cold tier): the cold copies are all
        // shadowed, so skip reading them; the visit order (ascending unsigned key) is the same.
        boolean coldOnlyRows = total.rows != hotTotal.rows;
        if (cold != null && coldOnlyRows) {
            RowBuffer buf = new RowBuffer(layout);
            cold.forEachRow((key, bytes) -> {
                while (next[0] < hotKeys.length && Long.compareUnsigned(hotKeys[next[0]], key) < 0) {
                    visit.hot(entries[next[0]++]);
                }
                if (next[0] < hotKeys.length && hotKeys[next[0]] == key) {
                    return; // the hot copy is current; visited when the merge passes it
                }
                RowCodec.decode(bytes, buf, name, key);
                visit.cold(buf);
            });
        }
        while (next[0] < hotKeys.length) {
            visit.hot(entries[next[0]++]);
        }
    }
}
