package io.inflight.trainer.shard;

import io.inflight.policies.Precision;
import io.inflight.store.RowAccess;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The rows of one batch as its row shards answered them: the {@link RowAccess} a trainer steps over
 * when its rows live in shards. {@link #prime} gives it the batch's replies (per shard, the keys
 * pulled and their rows); {@link #gather} reads any of those keys; {@link #scatter} collects the
 * gradients, split by shard, into the push the trainer sends with a later request
 * ({@link #takePush}). Several scatters for one batch (its events trained one at a time after the
 * batch failed) add up into one push.
 *
 * <p>Without policies: no shared rows, no row masks, every row starts whole at its shard. One thread.
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

    private final String name;
    private final StoreConfig config;
    private final int shards;
    private final int dim;
    private final int stride;
    private long[][] pulled;
    private float[][] rows;
    /** Per key scattered since the last {@link #takePush}: its accesses and summed gradients. */
    private final Map<Long, float[]> grads = new HashMap<>();
    private final Map<Long, Integer> accesses = new HashMap<>();
    private long pushStep = -1;

    /**
     * @param name   the table's name (in errors)
     * @param config the shards' store settings: D and the stride come from its layout
     * @param shards S, at least 1
     */
    public BatchRows(String name, StoreConfig config, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, got " + shards);
        }
        this.name = name;
        this.config = config;
        this.shards = shards;
        this.dim = config.layout().dim();
        this.stride = dim + 1;
    }

    /** S. */
    public int shards() {
        return shards;
    }

    /**
     * The batch's rows: {@code rows[s]} holds {@code stride} floats per key of {@code pulled[s]}
     * (ascending), as shard s answered. Held, not copied.
     */
    public void prime(long[][] pulled, float[][] rows) {
        this.pulled = pulled;
        this.rows = rows;
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

    /** The trainer holds no rows: 0 (each shard counts its own). */
    @Override
    public long storedBytes() {
        return 0;
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

    /**
     * Reads keys of the primed batch.
     *
     * @throws IllegalStateException when a key was not pulled with the batch
     */
    @Override
    public void gather(long[] keys, int count, float[] out) {
        for (int i = 0; i < count; i++) {
            int s = RowShards.shardOf(keys[i], shards);
            int at = pulled == null ? -1 : Arrays.binarySearch(pulled[s], keys[i]);
            if (at < 0) {
                throw new IllegalStateException("key " + keys[i] + " of " + name + " was not pulled from shard " + s
                        + " with this batch");
            }
            System.arraycopy(rows[s], at * stride, out, i * stride, stride);
        }
    }

    @Override
    public void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        if (masks != null || accesses != null) {
            throw new UnsupportedOperationException("row masks and access counts of " + name + " are its shards'");
        }
        gather(keys, count, out);
    }

    /**
     * Adds the gradients to the push being collected (see {@link #takePush}).
     *
     * @throws IllegalArgumentException if a gradient is not finite (nothing is added)
     */
    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step) {
        for (int i = 0; i < count * stride; i++) {
            if (!Float.isFinite(grads[i])) {
                throw new IllegalArgumentException("gradient " + grads[i] + " of key " + keys[i / stride] + " in " + name);
            }
        }
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
