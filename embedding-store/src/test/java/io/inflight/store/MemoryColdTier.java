package io.inflight.store;

import java.util.Map;
import java.util.TreeMap;

/**
 * A cold tier in a sorted in-memory map, for tests of the two-tier store that want the cold path
 * without disk. Holds the same encoded bytes as the persistent tiers.
 */
public final class MemoryColdTier implements ColdTier {

    private final TreeMap<Long, byte[]> rows = new TreeMap<>(Long::compareUnsigned);
    private final TreeMap<String, byte[]> meta = new TreeMap<>();

    @Override
    public byte[] get(long key) {
        return rows.get(key);
    }

    @Override
    public void put(long key, byte[] row) {
        rows.put(key, row);
    }

    @Override
    public void delete(long key) {
        rows.remove(key);
    }

    @Override
    public void forEachRow(RowConsumer consumer) {
        for (Map.Entry<Long, byte[]> e : rows.entrySet()) {
            consumer.accept(e.getKey(), e.getValue());
        }
    }

    @Override
    public byte[] getMeta(String name) {
        return meta.get(name);
    }

    @Override
    public void putMeta(String name, byte[] value) {
        meta.put(name, value);
    }

    @Override
    public void deleteMeta(String name) {
        meta.remove(name);
    }

    @Override
    public void forEachMeta(String prefix, MetaConsumer consumer) {
        for (Map.Entry<String, byte[]> e : meta.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            consumer.accept(e.getKey(), e.getValue());
        }
    }

    /** Rows held. */
    public int size() {
        return rows.size();
    }
}
