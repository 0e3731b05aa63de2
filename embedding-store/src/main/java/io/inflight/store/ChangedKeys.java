package io.inflight.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The change log and write-back of an {@link EmbeddingStore}: the keys changed since they were last
 * published, the hot rows written since the last {@link #flush}, and their durable form in the cold
 * tier (the dirty rows, the layout, and the changed keys as meta records {@code changed/<seq>} of at
 * most 65,536 keys each, so the set survives a crash with the rows it describes). Not thread-safe.
 */
final class ChangedKeys {

    static final String LAYOUT_META = "layout";
    static final String CHANGED_META = "changed/";
    private static final int CHANGED_KEYS_PER_RECORD = 1 << 16;

    private final String name;
    private final ChunkLayout layout;
    private final HotTier hot;
    private final ColdTier cold;
    private final RowBuffer flushBuf;
    private final LongSet changed = new LongSet();
    /** Keys added to {@link #changed} since the last flush, in order. */
    private long[] pending = new long[1024];
    private int pendingSize;
    private long firstChangedSeq;
    private long nextChangedSeq;
    private int[] dirtyList = new int[1024];
    private int dirtySize;
    private boolean layoutWritten;

    ChangedKeys(String name, ChunkLayout layout, HotTier hot, ColdTier cold) {
        this.name = name;
        this.layout = layout;
        this.hot = hot;
        this.cold = cold;
        this.flushBuf = new RowBuffer(layout);
    }

    /** Forgets what is held in memory (before the store reloads from the cold tier). */
    void clear() {
        changed.clear();
        pendingSize = 0;
        dirtySize = 0;
        firstChangedSeq = 0;
        nextChangedSeq = 0;
        layoutWritten = false;
    }

    /** Checks the cold tier's rows were written with this layout; only with a cold tier. */
    void checkLayout() {
        byte[] stored = cold.getMeta(LAYOUT_META);
        if (stored != null) {
            String s = new String(stored, StandardCharsets.UTF_8);
            if (!s.equals(layout.toString())) {
                throw new StoreException(name, "stored rows were written with chunk widths " + s
                        + " but the store is configured with " + layout);
            }
            layoutWritten = true;
        }
    }

    /** Loads the changed keys from the cold tier; only with a cold tier. */
    void load() {
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

    private static String changedName(long seq) {
        return CHANGED_META + String.format("%016x", seq);
    }

    /** Hot entry {@code e} changed: dirty until the next flush, its key changed until published. */
    void markDirty(int e) {
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

    void recordChange(long key) {
        if (changed.add(key)) {
            if (pendingSize == pending.length) {
                pending = Arrays.copyOf(pending, pendingSize * 2);
            }
            pending[pendingSize++] = key;
        }
    }

    /** Writes every dirty hot row and the keys changed since the last flush to the cold tier, if any. */
    void flush() {
        if (cold == null) {
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
                hot.copyOut(e, flushBuf);
                keys[rows] = hot.key[e];
                encoded[rows++] = RowCodec.encode(flushBuf);
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

    int size() {
        return changed.size();
    }

    /** The changed keys in ascending unsigned order (a copy). */
    long[] sortedKeys() {
        return changed.sortedUnsigned();
    }

    /** Empties the set of changed keys, in memory and in the cold tier. */
    void published() {
        changed.clear();
        pendingSize = 0;
        if (cold != null) {
            for (long s = firstChangedSeq; s < nextChangedSeq; s++) {
                cold.deleteMeta(changedName(s));
            }
        }
        firstChangedSeq = nextChangedSeq;
    }
}
