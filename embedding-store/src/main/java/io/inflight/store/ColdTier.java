package io.inflight.store;

import java.nio.charset.StandardCharsets;

/**
 * Where rows live outside the hot tier: encoded rows ({@link RowCodec}) under their 64-bit key, plus
 * a few named metadata records. Implementations: a Kafka Streams logged key-value store
 * ({@link io.inflight.store.streams.KeyValueColdTier}, the production cold tier with changelog),
 * a standalone RocksDB database ({@link io.inflight.store.rocksdb.RocksColdTier}) and, in the tests,
 * an in-memory sorted map ({@code MemoryColdTier}). Single-threaded, like the store that owns it.
 *
 * <p>Row keys are stored as 8 big-endian bytes, so byte order is unsigned key order; metadata keys
 * are longer than 8 bytes and never collide with rows.
 */
public interface ColdTier {

    /** The encoded row of {@code key}, or null. */
    byte[] get(long key);

    void put(long key, byte[] row);

    /** Writes rows {@code keys[i] -> rows[i]} for i in [0, n), as one batch where the tier can. */
    default void putAll(long[] keys, byte[][] rows, int n) {
        for (int i = 0; i < n; i++) {
            put(keys[i], rows[i]);
        }
    }

    void delete(long key);

    /** Every row in ascending unsigned key order. The visitor must not modify this tier. */
    void forEachRow(RowConsumer consumer);

    byte[] getMeta(String name);

    void putMeta(String name, byte[] value);

    void deleteMeta(String name);

    /** Every metadata record whose name starts with {@code prefix}, in name order. */
    void forEachMeta(String prefix, MetaConsumer consumer);

    @FunctionalInterface
    interface RowConsumer {
        void accept(long key, byte[] row);
    }

    @FunctionalInterface
    interface MetaConsumer {
        void accept(String name, byte[] value);
    }

    /** Encodes a row key: 8 bytes, big-endian. */
    static byte[] rowKey(long key) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (key >>> (56 - 8 * i));
        }
        return b;
    }

    /** Decodes an 8-byte row key. */
    static long rowKey(byte[] b) {
        long k = 0;
        for (int i = 0; i < 8; i++) {
            k = (k << 8) | (b[i] & 0xffL);
        }
        return k;
    }

    /** Prefix of every metadata key (so they are longer than 8 bytes). */
    String META_PREFIX = "inflight.store.meta/";

    static byte[] metaKey(String name) {
        return (META_PREFIX + name).getBytes(StandardCharsets.UTF_8);
    }

    /** The metadata name of a key, or null when {@code key} is not a metadata key. */
    static String metaName(byte[] key) {
        if (key.length <= META_PREFIX.length()) {
            return null;
        }
        String s = new String(key, StandardCharsets.UTF_8);
        return s.startsWith(META_PREFIX) ? s.substring(META_PREFIX.length()) : null;
    }
}
