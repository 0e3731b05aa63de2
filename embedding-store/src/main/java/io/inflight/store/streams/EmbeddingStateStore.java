package io.inflight.store.streams;

import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * The embedding store as a Kafka Streams state store: an {@link EmbeddingStore} whose cold tier is a
 * Streams-managed, logged RocksDB key-value store of encoded rows ({@link KeyValueColdTier}).
 *
 * <p>Durability: the hot tier is a write-back cache, like Streams' own record cache. Streams calls
 * {@link #flushCache()} on every cached store while it prepares a commit, before it flushes the
 * producer and commits the transaction (exactly-once) or the offsets; this store writes its dirty
 * rows and changed-key log into the logged store there, so a commit contains exactly the state the
 * processor had built. {@link #commit} (after the commit) flushes again, which is then a no-op.
 * After a crash the RocksDB store is restored from the changelog and the hot tier starts empty.
 *
 * <p>A processor gets it with {@code context.getStateStore(name)} and works with {@link #store()}.
 * Owned by one stream task; not thread-safe (interactive queries are not supported).
 */
public final class EmbeddingStateStore implements StateStore, CachedStateStore<Bytes, byte[]> {

    private final KeyValueStore<Bytes, byte[]> inner;
    private final EmbeddingStore store;

    EmbeddingStateStore(KeyValueStore<Bytes, byte[]> inner, StoreConfig config) {
        this.inner = inner;
        this.store = new EmbeddingStore(inner.name(), config, new KeyValueColdTier(inner));
    }

    /** The rows: gather, scatter, policies, changed rows. Valid between init and close. */
    public EmbeddingStore store() {
        return store;
    }

    /** The logged key-value store of encoded rows underneath. */
    KeyValueStore<Bytes, byte[]> inner() {
        return inner;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        store.reset();
        inner.init(context, root);
    }

    @Override
    public void flushCache() {
        if (inner.isOpen()) {
            store.flush();
        }
    }

    @Override
    public void clearCache() {
        store.reset();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        flushCache();
        inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        flushCache();
        inner.commit(changelogOffsets);
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
        return inner.committedOffset(partition);
    }

    @Override
    public boolean managesOffsets() {
        return inner.managesOffsets();
    }

    @Override
    public void close() {
        store.reset();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }
}
