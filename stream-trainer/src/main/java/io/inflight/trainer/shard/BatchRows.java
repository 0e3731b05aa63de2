package io.inflight.trainer.shard;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.RowAccess;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rows a trainer steps over when they live in row shards: the trainer's <em>window cache</em>, a
 * local table of the rows it updated lately, in front of the rows its shards answered. Every update
 * is applied here as the shard will apply it (same settings, same step, same stochastic rounding), and
 * its gradients are collected into the push the trainer sends with a later request
 * ({@link #takePush}). With one trainer the cached copy of a row is never behind its shard's, and a
 * row the cache does not hold was last updated by a batch whose push the shard applied before it
 * answered ({@code b - W} or earlier): so every read is of the row with every update applied, whatever
 * the window W, and training is bit for bit what it is over one local table.
 *
 * <p>{@link #prime} takes in a batch's replies (rows the cache does not hold); {@link #evict} after
 * each batch drops the rows least recently updated beyond {@code cacheRows}, never one updated by the
 * last W batches (its shard copy lacks updates still travelling). Several scatters for one batch (its
 * events trained one at a time after the batch failed) add up into one push. The trainer runs no
 * policies (its shards may: {@link ShardPolicies}; a row they pruned or re-quantized arrives so and is
 * updated so): no shared rows, new rows start whole. One thread.
 */
public class BatchRows implements RowAccess {

    /**
     * The summed gradients of one batch for each shard: keys ascending, accesses and {@code stride}
     * gradients per key, at training step {@code step}.
     */
    public record Push(long step, long[][] keys, int[][] accesses, float[][] grads) {

        /** The request of {@code trainer}'s batch {@code batch} to shard {@code s}: pull {@code pull} and push this (of batch {@code pushBatch}). */
        public ShardRequest request(int trainer, long batch, int stride, long pushBatch, int s, long[] pull) {
            return new ShardRequest(trainer, batch, stride, pushBatch, step, keys[s], accesses[s], grads[s], pull);
        }

        /** A request of {@code trainer}'s batch {@code batch} without a push. */
        public static ShardRequest pullOnly(int trainer, long batch, int stride, long[] pull) {
            return new ShardRequest(trainer, batch, stride, -1, 0, new long[0], new int[0], new float[0], pull);
        }
    }

    /** Rows the cache keeps by default (beyond those of the last W batches): about 12 MB at D = 16 in fp32. */
    public static final long DEFAULT_CACHE_ROWS = 65_536;

    private final String name;
    private final StoreConfig config;
    private final int shards;
    private final int window;
    private final long cacheRows;
    private final int dim;
    private final int stride;
    private final EmbeddingStore cache;
    /** Every cached key with the last batch that updated (or took in) its row, in that batch's order (least recent first). */
    private final LinkedHashMap<Long, Long> lastTouch = new LinkedHashMap<>(1024);
    private long batch;
    private long cachedReads;
    private long replyLagMax;
    private long forgotten;
    /** Per key scattered since the last {@link #takePush}: its accesses and summed gradients. */
    private final Map<Long, float[]> grads = new HashMap<>();
    private final Map<Long, Integer> accesses = new HashMap<>();
    private long pushStep = -1;

    /**
     * @param name      the table's name (in errors)
     * @param config    the shards' store settings: the cache updates rows with them
     * @param shards    S, at least 1
     * @param window    W, at least 1: batches whose pushes may not have reached the shards
     * @param cacheRows rows the cache keeps beyond those the last W batches updated
     */
    public BatchRows(String name, StoreConfig config, int shards, int window, long cacheRows) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, got " + shards);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1 batch, got " + window);
        }
        this.name = name;
        this.config = config;
        this.shards = shards;
        this.window = window;
        this.cacheRows = cacheRows;
        this.dim = config.layout().dim();
        this.stride = dim + 1;
        this.cache = EmbeddingStore.inMemory(name, config.withHotCapacity(1 << 24));
    }

    /** W. */
    public int window() {
        return window;
    }

    /** Reads the cache served in place of a reply's row, since creation. */
    public long cachedReads() {
        return cachedReads;
    }

    /**
     * The most batches of updates a reply's row lacked that the cache served in its place, since
     * creation: the staleness reads would have without the cache (at most W - 1; reads themselves lag 0).
     */
    public long replyLagMax() {
        return replyLagMax;
    }

    /** Cached rows dropped because their shard evicted them, since creation. */
    public long forgotten() {
        return forgotten;
    }

    /** The window cache itself: what the trainer holds of the table (read it, do not change it). */
    public EmbeddingStore cache() {
        return cache;
    }

    /** The rows cached now. */
    public long cachedRows() {
        return cache.rowCount();
    }

    /** S. */
    public int shards() {
        return shards;
    }

    /**
     * Batch {@code batch} is next: of its keys {@code pulled[s]} (ascending) shard s answered the
     * encoded rows {@code rows[s]} (empty: the shard has none); those the cache does not hold are
     * taken in (the cached copy of the others is as recent, or more). The rows shard s evicted while
     * it answered ({@code evicted[s]}) leave the cache first: the shard forgot them, with the
     * gradients of theirs still in flight.
     */
    public void prime(long batch, long[][] pulled, byte[][][] rows, long[][] evicted) {
        this.batch = batch;
        for (long[] keys : evicted) {
            for (long key : keys) {
                if (lastTouch.remove(key) != null) {
                    cache.evictRow(key);
                    forgotten++;
                }
            }
        }
        for (int s = 0; s < pulled.length; s++) {
            for (int i = 0; i < pulled[s].length; i++) {
                long key = pulled[s][i];
                Long updated = lastTouch.get(key);
                if (updated == null) {
                    if (rows[s][i].length > 0) {
                        cache.putEncodedRow(key, rows[s][i]);
                        lastTouch.put(key, batch);
                    }
                } else {
                    cachedReads++;
                    // the reply holds the updates of batches <= batch - W; the cached row those up to `updated`
                    replyLagMax = Math.max(replyLagMax, updated - (batch - window));
                }
            }
        }
    }

    /**
     * After batch {@code trained} was trained: drops the least recently updated rows while the cache
     * holds more than {@code cacheRows}, but none updated after batch {@code trained + 1 - W} (the
     * next batch's replies may lack its updates). With {@code cacheRows} 0 the cache then holds
     * exactly the rows of batches after {@code trained + 1 - W}: what shards with policies rely on
     * ({@link ShardPolicies}: they change only rows no request of the last W batches pulled).
     */
    public void evict(long trained) {
        cache.clearChanged();
        if (cache.rowCount() <= cacheRows) {
            return;
        }
        Iterator<Map.Entry<Long, Long>> it = lastTouch.entrySet().iterator();
        while (cache.rowCount() > cacheRows && it.hasNext()) {
            Map.Entry<Long, Long> e = it.next();
            if (e.getValue() > trained + 1 - window) {
                break;
            }
            cache.evictRow(e.getKey());
            it.remove();
        }
        cache.clearChanged();
    }

    /**
     * The gradients scattered since the last call, split by shard (keys ascending), or null when
     * nothing was scattered; clears them.
     */
    public Push takePush() {
        if (grads.isEmpty()) {
            return null;
        }
        long[] keys = grads.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        int[] a = new int[keys.length];
        float[] g = new float[keys.length * stride];
        for (int i = 0; i < keys.length; i++) {
            a[i] = accesses.get(keys[i]);
            System.arraycopy(grads.get(keys[i]), 0, g, i * stride, stride);
        }
        RowShards.Split split = RowShards.split(keys, a, g, keys.length, stride, shards);
        Push push = new Push(pushStep, split.keys(), split.accesses(), split.grads());
        grads.clear();
        accesses.clear();
        pushStep = -1;
        return push;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public StoreConfig config() {
        return config;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public int stride() {
        return stride;
    }

    @Override
    public int[] chunkWidths() {
        return config.layout().widths();
    }

    /** The bytes of the rows cached (each shard counts its own). */
    @Override
    public long storedBytes() {
        return cache.storedBytes();
    }

    @Override
    public long rowBytes(int mask, Precision[] precisions) {
        throw new UnsupportedOperationException("row sizes of " + name + " are its shards' (no policies over shards yet)");
    }

    @Override
    public void newRowMask(int mask) {
        if (mask != config.layout().fullMask()) {
            throw new UnsupportedOperationException("rows of " + name + " start whole (mask " + config.layout().fullMask()
                    + "), not " + mask);
        }
    }

    @Override
    public void readNew(long key, float[] out, int o) {
        throw new UnsupportedOperationException("new rows of " + name + " are made by its shards");
    }

    /** Reads rows from the cache: a row neither cached nor stored at its shard reads as its initialisation. */
    @Override
    public void gather(long[] keys, int count, float[] out) {
        cache.gather(keys, count, out);
    }

    @Override
    public void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        if (masks != null || accesses != null) {
            throw new UnsupportedOperationException("row masks and access counts of " + name + " are its shards'");
        }
        gather(keys, count, out);
    }

    /**
     * Updates the cached rows (creating those not cached) and adds the gradients to the push being
     * collected (see {@link #takePush}).
     *
     * @throws IllegalArgumentException if a gradient is not finite (the cache's check: nothing is applied or added)
     */
    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step) {
        cache.scatter(keys, accesses, count, grads, step); // refuses a non-finite gradient before applying any
        if (pushStep < 0) {
            pushStep = step;
        }
        for (int i = 0; i < count; i++) {
            float[] g = this.grads.get(keys[i]);
            if (g == null) { // copied, not added to zeros: a gradient of -0 stays -0
                this.grads.put(keys[i], Arrays.copyOfRange(grads, i * stride, (i + 1) * stride));
            } else {
                for (int j = 0; j < stride; j++) {
                    g[j] += grads[i * stride + j];
                }
            }
            this.accesses.merge(keys[i], accesses == null ? 1 : accesses[i], Integer::sum);
            Long before = lastTouch.put(keys[i], batch);
            if (before != null && before != batch) { // to the end: the map stays in the order of the batches
                lastTouch.remove(keys[i]);
                lastTouch.put(keys[i], batch);
            }
        }
    }

    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial) {
        if (initial != null) {
            throw new UnsupportedOperationException("rows of " + name + " start as their shards make them");
        }
        scatter(keys, accesses, count, grads, step);
    }

    /** No shared rows over shards: nothing to do. */
    @Override
    public void scatterShared(long key, float[] grads, int off) {
    }

    @Override
    public boolean read(long key, float[] dst, int off) {
        throw new UnsupportedOperationException("rows of " + name + " are read through a batch's pull");
    }

    @Override
    public void attachShared(SharedRows rows) {
        throw new UnsupportedOperationException("shared rows over shards are not built yet (" + name + ")");
    }

    @Override
    public SharedRows shared() {
        return null;
    }
}
