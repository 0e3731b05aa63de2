package io.inflight.store.streams;

import io.inflight.store.ColdTier;
import io.inflight.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The cold tier in a Kafka Streams key-value store of bytes (RocksDB with a changelog when built by
 * {@link EmbeddingStores}): every put and delete is logged and commits with the task's offsets.
 */
public final class KeyValueColdTier implements ColdTier {

    private final KeyValueStore<Bytes, byte[]> store;

    public KeyValueColdTier(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    @Override
    public byte[] get(long key) {
        return store.get(Bytes.wrap(ColdTier.rowKey(key)));
    }

    @Override
    public void put(long key, byte[] row) {
        store.put(Bytes.wrap(ColdTier.rowKey(key)), row);
    }

    /** One {@code putAll}: a single RocksDB write batch under Streams' store, each row still logged. */
    @Override
    public void putAll(long[] keys, byte[][] rows, int n) {
        List<KeyValue<Bytes, byte[]>> batch = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            batch.add(KeyValue.pair(Bytes.wrap(ColdTier.rowKey(keys[i])), rows[i]));
        }
        store.putAll(batch);
    }

    @Override
    public void delete(long key) {
        store.delete(Bytes.wrap(ColdTier.rowKey(key)));
    }

    @Override
    public void forEachRow(RowConsumer consumer) {
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] k = kv.key.get();
                if (k.length == 8) {
                    consumer.accept(ColdTier.rowKey(k), kv.value);
                } else if (ColdTier.metaName(k) == null) {
                    throw new StoreException(store.name(), "unexpected key of " + k.length
                            + " bytes (rows have 8-byte keys): " + Bytes.wrap(k));
                }
            }
        }
    }

    @Override
    public byte[] getMeta(String name) {
        return store.get(Bytes.wrap(ColdTier.metaKey(name)));
    }

    @Override
    public void putMeta(String name, byte[] value) {
        store.put(Bytes.wrap(ColdTier.metaKey(name)), value);
    }

    @Override
    public void deleteMeta(String name) {
        store.delete(Bytes.wrap(ColdTier.metaKey(name)));
    }

    @Override
    public void forEachMeta(String prefix, MetaConsumer consumer) {
        byte[] from = ColdTier.metaKey(prefix);
        byte[] to = ColdTier.metaKey(prefix + "\uffff");
        try (KeyValueIterator<Bytes, byte[]> it = store.range(Bytes.wrap(from), Bytes.wrap(to))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                String name = ColdTier.metaName(kv.key.get());
                if (name != null && name.startsWith(prefix)) {
                    consumer.accept(name, kv.value);
                }
            }
        }
    }

    /** The store's name. */
    public String name() {
        return store.name();
    }
}
