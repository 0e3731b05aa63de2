package io.inflight.store.streams;

import io.inflight.store.EmbeddingStore;
import io.inflight.store.StagedColdTier;
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
 * <p>Deferred durability ({@link #deferDurability}): a processor that can rebuild the rows changed
 * since a checkpoint (the mini-batch trainer keeps a journal of the events it applied) makes rows
 * durable at its checkpoints only. Then every write to the cold tier between checkpoints (a dirty
 * row leaving the hot tier, an evicted row) is staged in memory ({@link StagedColdTier}), the logged
 * store keeps exactly the checkpointed rows, {@link #flushCache()} calls the processor's
 * {@link CommitHook} instead of flushing, and {@link #checkpoint()} writes everything.
 *
 * <p>A processor gets it with {@code context.getStateStore(name)} and works with {@link #store()}.
 * Owned by one stream task; not thread-safe (interactive queries are not supported).
 */
public final class EmbeddingStateStore implements StateStore, CachedStateStore<Bytes, byte[]> {

    private final KeyValueStore<Bytes, byte[]> inner;
    private final StagedColdTier cold;
    private final EmbeddingStore store;
    private boolean deferred;
    private CommitHook hook;

    EmbeddingStateStore(KeyValueStore<Bytes, byte[]> inner, StoreConfig config) {
        this.inner = inner;
        this.cold = new StagedColdTier(new KeyValueColdTier(inner));
        this.store = new EmbeddingStore(inner.name(), config, cold);
    }

    /** What a processor with deferred durability does when Streams prepares a commit. */
    @FunctionalInterface
    public interface CommitHook {
        /** Called on the stream thread before the producer is flushed and the commit is made. */
        void beforeCommit();
    }

    /**
     * From now until the store is re-initialised, rows become durable only at {@link #checkpoint()};
     * {@code hook} runs at every commit instead of the flush (null: nothing runs, nothing is flushed).
     */
    public void deferDurability(CommitHook hook) {
        if (!deferred) {
            deferred = true;
            cold.staging(true);
        }
        this.hook = hook;
    }

    /**
     * Writes the staged cold-tier writes and every dirty hot row into the logged store: the
     * durable rows become the rows now. Call from the commit hook (so it commits with the offsets).
     */
    public void checkpoint() {
        if (!deferred) {
            throw new IllegalStateException("store " + name() + ": checkpoint() needs deferred durability");
        }
        cold.commit();
        cold.staging(false);
        try {
            store.flush();
        } finally {
            cold.staging(true);
        }
    }

    /** Approximate heap bytes of cold-tier writes staged since the last checkpoint. */
    public long stagedBytes() {
        return cold.stagedBytes();
    }

    private void forget() {
        store.reset();
        cold.discard();
        cold.staging(false);
        deferred = false;
        hook = null;
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
        forget();
        inner.init(context, root);
    }

    @Override
    public void flushCache() {
        if (!inner.isOpen()) {
            return;
        }
        if (!deferred) {
            store.flush();
        } else if (hook != null) {
            hook.beforeCommit();
        }
    }

    @Override
    public void clearCache() {
        forget();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        flushRows();
        inner.flush();
    }

    /** After a commit: a no-op, unless the commit did not go through {@link #flushCache()}. */
    private void flushRows() {
        if (inner.isOpen() && !deferred) {
            store.flush();
        }
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        flushRows();
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
        forget();
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
