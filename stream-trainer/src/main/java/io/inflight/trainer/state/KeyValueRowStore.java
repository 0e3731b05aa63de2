package io.inflight.trainer.state;

import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Full-precision, fixed-width rows in a Kafka Streams key-value store (RocksDB with changelog and
 * the Streams record cache in front), so that every write commits with the input offsets.
 */
public final class KeyValueRowStore implements RowStore {

    private final KeyValueStore<Long, byte[]> store;
    private final int width;

    public KeyValueRowStore(KeyValueStore<Long, byte[]> store, int width) {
        this.store = store;
        this.width = width;
    }

    @Override
    public boolean read(long key, float[] dst) {
        byte[] bytes = store.get(key);
        if (bytes == null) {
            return false;
        }
        RowCodec.decode(bytes, dst, width, store.name(), key);
        return true;
    }

    @Override
    public void write(long key, float[] row) {
        store.put(key, RowCodec.encode(row, width));
    }

    @Override
    public void delete(long key) {
        store.delete(key);
    }
}
