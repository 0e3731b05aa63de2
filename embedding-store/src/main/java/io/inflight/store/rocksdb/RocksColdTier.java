package io.inflight.store.rocksdb;

import io.inflight.store.ColdTier;
import io.inflight.store.StoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * A standalone RocksDB database as the cold tier (no changelog), for benchmarks and tests that want
 * the RocksDB path without Kafka Streams. Writes skip the write-ahead log: durability is the job of
 * the Streams store's changelog, not of this tier. Close it (closes, in order, the database, write
 * options and options); nothing relies on the garbage collector.
 */
public final class RocksColdTier implements ColdTier, AutoCloseable {

    static {
        RocksDB.loadLibrary();
    }

    private final String name;
    private final Options options;
    private final WriteOptions writeOptions;
    private final RocksDB db;

    private RocksColdTier(String name, Options options, WriteOptions writeOptions, RocksDB db) {
        this.name = name;
        this.options = options;
        this.writeOptions = writeOptions;
        this.db = db;
    }

    /** Opens (creating if missing) a database in {@code dir}. */
    public static RocksColdTier open(String name, Path dir) {
        Options options = new Options().setCreateIfMissing(true);
        WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
        try {
            Files.createDirectories(dir);
            return new RocksColdTier(name, options, writeOptions, RocksDB.open(options, dir.toString()));
        } catch (RocksDBException | IOException e) {
            writeOptions.close();
            options.close();
            throw new StoreException(name, "could not open RocksDB in " + dir + ": " + e.getMessage());
        }
    }

    @Override
    public byte[] get(long key) {
        try {
            return db.get(ColdTier.rowKey(key));
        } catch (RocksDBException e) {
            throw new StoreException(name, key, "RocksDB get failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void put(long key, byte[] row) {
        try {
            db.put(writeOptions, ColdTier.rowKey(key), row);
        } catch (RocksDBException e) {
            throw new StoreException(name, key, "RocksDB put failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(long key) {
        try {
            db.delete(writeOptions, ColdTier.rowKey(key));
        } catch (RocksDBException e) {
            throw new StoreException(name, key, "RocksDB delete failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void forEachRow(RowConsumer consumer) {
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] k = it.key();
                if (k.length == 8) {
                    consumer.accept(ColdTier.rowKey(k), it.value());
                } else if (ColdTier.metaName(k) == null) {
                    throw new StoreException(name, "unexpected key of " + k.length + " bytes (rows have 8-byte keys)");
                }
            }
        }
    }

    @Override
    public byte[] getMeta(String meta) {
        try {
            return db.get(ColdTier.metaKey(meta));
        } catch (RocksDBException e) {
            throw new StoreException(name, "RocksDB get of " + meta + " failed: " + e.getMessage());
        }
    }

    @Override
    public void putMeta(String meta, byte[] value) {
        try {
            db.put(writeOptions, ColdTier.metaKey(meta), value);
        } catch (RocksDBException e) {
            throw new StoreException(name, "RocksDB put of " + meta + " failed: " + e.getMessage());
        }
    }

    @Override
    public void deleteMeta(String meta) {
        try {
            db.delete(writeOptions, ColdTier.metaKey(meta));
        } catch (RocksDBException e) {
            throw new StoreException(name, "RocksDB delete of " + meta + " failed: " + e.getMessage());
        }
    }

    @Override
    public void forEachMeta(String prefix, MetaConsumer consumer) {
        byte[] from = ColdTier.metaKey(prefix);
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(from); it.isValid(); it.next()) {
                String n = ColdTier.metaName(it.key());
                if (n == null || !n.startsWith(prefix)) {
                    break;
                }
                consumer.accept(n, it.value());
            }
        }
    }

    /** RocksDB's estimate of live data bytes (SST files and memtables). */
    public long approximateBytes() {
        try {
            return db.getLongProperty("rocksdb.estimate-live-data-size") + db.getLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            throw new StoreException(name, "RocksDB property read failed: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        db.close();
        writeOptions.close();
        options.close();
    }

    @Override
    public String toString() {
        return "RocksColdTier[" + name + "]";
    }
}
