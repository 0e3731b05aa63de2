package io.inflight.trainer.state;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded read-through, write-through tier of rows in front of another {@link RowStore}: reads of
 * rows seen recently come from memory, every write still goes to the store below (so durability and
 * exactly-once are the store's). Least recently used rows are dropped beyond {@code capacity}.
 *
 * <p>Because it only ever holds copies of what the store below holds, dropping it (as a task does
 * on re-initialisation) loses nothing. Not thread-safe: owned by one stream task.
 */
public final class HotRowCache implements RowStore {

    private final RowStore below;
    private final int width;
    private final LinkedHashMap<Long, float[]> rows;

    public HotRowCache(RowStore below, int width, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1 row, got " + capacity);
        }
        this.below = below;
        this.width = width;
        this.rows = new LinkedHashMap<>(Math.min(capacity, 1 << 20), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, float[]> eldest) {
                return size() > capacity;
            }
        };
    }

    @Override
    public boolean read(long key, float[] dst) {
        float[] r = rows.get(key);
        if (r != null) {
            System.arraycopy(r, 0, dst, 0, width);
            return true;
        }
        if (!below.read(key, dst)) {
            return false;
        }
        rows.put(key, java.util.Arrays.copyOf(dst, width));
        return true;
    }

    @Override
    public void write(long key, float[] row) {
        below.write(key, row);
        float[] r = rows.get(key);
        if (r == null) {
            rows.put(key, java.util.Arrays.copyOf(row, width));
        } else {
            System.arraycopy(row, 0, r, 0, width);
        }
    }

    @Override
    public void delete(long key) {
        below.delete(key);
        rows.remove(key);
    }

    public int size() {
        return rows.size();
    }
}
