package io.inflight.store;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A cold tier whose writes can be held back: while staging, puts and deletes (of rows and of
 * metadata) go into an in-memory overlay that reads see, and the tier underneath is left exactly as
 * it was at the last {@link #commit}. {@link #commit} applies the overlay, {@link #discard} drops it.
 *
 * <p>The streaming trainer uses it to make rows durable at checkpoints only: between checkpoints
 * the logged store underneath holds the checkpointed rows, and the rows that leave the hot tier
 * dirty (or are evicted) wait here. Single-threaded, like the store that owns it.
 */
public final class StagedColdTier implements ColdTier {

    /** Marks a staged delete (compared by identity). */
    private static final byte[] DELETED = new byte[0];
    /** Rough heap cost of one overlay entry besides its value (tree node, boxed key). */
    private static final long ENTRY_OVERHEAD = 64;

    private final ColdTier inner;
    private final TreeMap<Long, byte[]> rows = new TreeMap<>(Long::compareUnsigned);
    private final TreeMap<String, byte[]> meta = new TreeMap<>();
    private boolean staging;
    private long stagedBytes;

    public StagedColdTier(ColdTier inner) {
        this.inner = inner;
    }

    /** While on, writes wait in the overlay; while off they go straight to the tier underneath. */
    public void staging(boolean on) {
        if (!on && !isEmpty()) {
            throw new IllegalStateException("commit or discard the staged writes before turning staging off");
        }
        this.staging = on;
    }

    public boolean isStaging() {
        return staging;
    }

    /** Approximate heap bytes held by staged writes. */
    public long stagedBytes() {
        return stagedBytes;
    }

    /** Staged row writes and deletes. */
    public int stagedRows() {
        return rows.size();
    }

    public boolean isEmpty() {
        return rows.isEmpty() && meta.isEmpty();
    }

    /** Applies every staged write to the tier underneath (rows as one batch) and empties the overlay. */
    public void commit() {
        if (!rows.isEmpty()) {
            long[] keys = new long[rows.size()];
            byte[][] values = new byte[rows.size()][];
            int n = 0;
            for (Map.Entry<Long, byte[]> e : rows.entrySet()) {
                if (e.getValue() == DELETED) {
                    inner.delete(e.getKey());
                } else {
                    keys[n] = e.getKey();
                    values[n++] = e.getValue();
                }
            }
            inner.putAll(keys, values, n);
        }
        for (Map.Entry<String, byte[]> e : meta.entrySet()) {
            if (e.getValue() == DELETED) {
                inner.deleteMeta(e.getKey());
            } else {
                inner.putMeta(e.getKey(), e.getValue());
            }
        }
        clear();
    }

    /** Drops every staged write: the tier reads as it was at the last commit. */
    public void discard() {
        clear();
    }

    private void clear() {
        rows.clear();
        meta.clear();
        stagedBytes = 0;
    }

    @Override
    public byte[] get(long key) {
        byte[] v = rows.isEmpty() ? null : rows.get(key);
        return v == null ? inner.get(key) : live(v);
    }

    @Override
    public void put(long key, byte[] row) {
        if (staging) {
            stage(rows, key, row);
        } else {
            inner.put(key, row);
        }
    }

    @Override
    public void putAll(long[] keys, byte[][] values, int n) {
        if (staging) {
            for (int i = 0; i < n; i++) {
                stage(rows, keys[i], values[i]);
            }
        } else {
            inner.putAll(keys, values, n);
        }
    }

    @Override
    public void delete(long key) {
        if (staging) {
            stage(rows, key, DELETED);
        } else {
            inner.delete(key);
        }
    }

    /** A staged value as a read sees it: null for a staged delete. */
    private static byte[] live(byte[] staged) {
        return staged == DELETED ? null : staged;
    }

    /** Stages {@code value} (or {@link #DELETED}) under {@code key} in {@code overlay}, counting its bytes. */
    private <K> void stage(TreeMap<K, byte[]> overlay, K key, byte[] value) {
        byte[] old = overlay.put(key, value);
        stagedBytes += value.length - (old == null ? -ENTRY_OVERHEAD : old.length);
    }

    /** The rows underneath merged with the staged ones, in ascending unsigned key order. */
    @Override
    public void forEachRow(RowConsumer consumer) {
        if (rows.isEmpty()) {
            inner.forEachRow(consumer);
            return;
        }
        Iterator<Map.Entry<Long, byte[]>> staged = rows.entrySet().iterator();
        Object[] next = {staged.hasNext() ? staged.next() : null};
        inner.forEachRow((key, value) -> {
            @SuppressWarnings("unchecked")
            Map.Entry<Long, byte[]> s = (Map.Entry<Long, byte[]>) next[0];
            while (s != null && Long.compareUnsigned(s.getKey(), key) < 0) {
                emit(s, consumer);
                s = staged.hasNext() ? staged.next() : null;
            }
            if (s != null && s.getKey() == key) {
                emit(s, consumer); // the staged write shadows the row underneath
                s = staged.hasNext() ? staged.next() : null;
            } else {
                consumer.accept(key, value);
            }
            next[0] = s;
        });
        @SuppressWarnings("unchecked")
        Map.Entry<Long, byte[]> s = (Map.Entry<Long, byte[]>) next[0];
        while (s != null) {
            emit(s, consumer);
            s = staged.hasNext() ? staged.next() : null;
        }
    }

    private static void emit(Map.Entry<Long, byte[]> staged, RowConsumer consumer) {
        if (staged.getValue() != DELETED) {
            consumer.accept(staged.getKey(), staged.getValue());
        }
    }

    @Override
    public byte[] getMeta(String name) {
        byte[] v = meta.get(name);
        return v == null ? inner.getMeta(name) : live(v);
    }

    @Override
    public void putMeta(String name, byte[] value) {
        if (staging) {
            stage(meta, name, value);
        } else {
            inner.putMeta(name, value);
        }
    }

    @Override
    public void deleteMeta(String name) {
        if (staging) {
            stage(meta, name, DELETED);
        } else {
            inner.deleteMeta(name);
        }
    }

    /** The metadata underneath merged with the staged records, in name order. */
    @Override
    public void forEachMeta(String prefix, MetaConsumer consumer) {
        TreeMap<String, byte[]> merged = new TreeMap<>();
        inner.forEachMeta(prefix, merged::put);
        for (Map.Entry<String, byte[]> e : meta.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            if (e.getValue() == DELETED) {
                merged.remove(e.getKey());
            } else {
                merged.put(e.getKey(), e.getValue());
            }
        }
        merged.forEach(consumer::accept);
    }
}
