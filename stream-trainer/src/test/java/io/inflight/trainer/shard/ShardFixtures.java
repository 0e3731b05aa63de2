package io.inflight.trainer.shard;

import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.RowSink;
import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.train.BatchTrainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * What the row-shard tests share: keys of one shard, requests, bit-exact views of rows, and the model
 * the in-process training tests train (an FM over fields ad, user and site, D = 8, batches of 32, S = 3).
 */
final class ShardFixtures {

    static final BatchSettings SETTINGS = new BatchSettings("fm", List.of("ad", "user", "site"), 8, 32,
            List.of(8), "relu", "adam", 1e-3, 0.1, 0, 0.01, 7, 0);
    static final int SHARDS = 3;

    private ShardFixtures() {
    }

    /** D = 8 in four chunks of 2, new rows at {@code precision}. */
    static StoreConfig config(Precision precision) {
        StoreConfig full = BatchTrainer.fullPrecision(SETTINGS, 1 << 16);
        return new StoreConfig(ChunkLayout.of(2, 2, 2, 2), precision, full.hotCapacity(), full.seed(), full.learningRate(),
                full.l2(), full.adagradEps(), full.utility(), full.newRowInit(), full.initScale());
    }

    /** {@code n} ascending keys that shard {@code shard} of {@code shards} owns, drawn from {@code seed}. */
    static long[] keysOf(int shard, int shards, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] out = new long[n];
        int k = 0;
        while (k < n) {
            long key = r.nextLong();
            if (RowShards.shardOf(key, shards) == shard) {
                out[k++] = key;
            }
        }
        Arrays.sort(out);
        return out;
    }

    /** Gradients for {@code n} keys at {@code stride}, Gaussian with standard deviation {@code scale}. */
    static float[] grads(int n, int stride, double scale, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] g = new float[n * stride];
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) (scale * r.nextGaussian());
        }
        return g;
    }

    /** {@code n} accesses in [1, 5]. */
    static int[] accesses(int n, long seed) {
        return new SplittableRandom(seed).ints(n, 1, 6).toArray();
    }

    /** A request with a push of every key in {@code push} (or no push when {@code pushBatch} is -1). */
    static ShardRequest request(int trainer, long batch, int stride, long pushBatch, long[] push, float[] grads,
                                long[] pull) {
        return new ShardRequest(trainer, batch, stride, pushBatch, pushBatch < 0 ? 0 : pushBatch, push,
                pushBatch < 0 ? new int[0] : accesses(push.length, batch), grads, pull);
    }

    /** The raw bits of {@code v}: equal arrays are bit-identical floats. */
    static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    /** Every stored row of {@code rows} as its mask, precisions, raw value bits and linear weight bits, by key. */
    static Map<Long, String> snapshot(EmbeddingRows rows) {
        Map<Long, String> out = new TreeMap<>();
        rows.snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                out.put(key, mask + " " + List.of(precisions) + " " + Arrays.toString(bits(values)) + " "
                        + Float.floatToRawIntBits(linear));
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("a snapshot has no tombstones");
            }
        });
        return out;
    }
}
