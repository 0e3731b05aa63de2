package io.inflight.trainer.state;

import java.util.HashMap;
import java.util.Map;

/** Rows in a plain hash map, for in-process runs without Kafka (benchmarks, offline evaluation). Not thread-safe. */
public final class InMemoryRowStore implements RowStore {

    private final Map<Long, float[]> rows = new HashMap<>();
    private final int width;

    public InMemoryRowStore(int width) {
        this.width = width;
    }

    @Override
    public boolean read(long key, float[] dst) {
        float[] r = rows.get(key);
        if (r == null) {
            return false;
        }
        System.arraycopy(r, 0, dst, 0, width);
        return true;
    }

    @Override
    public void write(long key, float[] row) {
        rows.computeIfAbsent(key, k -> new float[width]);
        System.arraycopy(row, 0, rows.get(key), 0, width);
    }

    @Override
    public void delete(long key) {
        rows.remove(key);
    }

    public int size() {
        return rows.size();
    }
}
