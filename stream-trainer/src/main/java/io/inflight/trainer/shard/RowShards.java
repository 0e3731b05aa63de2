package io.inflight.trainer.shard;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;

/**
 * Which row shard owns a key, and a batch's keys split by shard (issue 16). With S shards (the
 * partitions of {@code row-requests}), row {@code key} lives in shard {@link #shardOf(long, int)}: the
 * key is mixed again (keys are already hashes, but the store's own hash tables index by
 * {@code SplitMix64.mix(key)}, so the shard takes a salted mix whose bits are independent of those),
 * then reduced to {@code [0, S)} by a multiply-shift rather than a modulo. Stateless; thread-safe.
 */
public final class RowShards {

    /** Added to a key before the mix, so that a shard's keys spread over its hash tables like all keys. */
    private static final long SALT = 0x5DEECE66DL * SplitMix64.GOLDEN;

    private RowShards() {
    }

    /**
     * The shard of {@code key} among {@code shards}: {@code floor(h · S / 2^32)} where h is the top 32
     * bits of the salted SplitMix64 mix of the key (Lemire's range reduction: uniform over shards up to
     * S / 2^32, and the same for every caller, trainer or shard).
     *
     * @throws IllegalArgumentException when {@code shards < 1}
     */
    public static int shardOf(long key, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("row shards must be >= 1, got " + shards);
        }
        long h = SplitMix64.mix(key + SALT) >>> 32;
        return (int) ((h * shards) >>> 32);
    }

    /**
     * A batch's rows split by shard: for shard s, {@code keys[s]} (ascending, distinct), their
     * {@code accesses[s]} and their gradients {@code grads[s]} (stride floats per key), in the order of
     * the batch. {@code accesses} and {@code grads} are null when the split was made without them.
     */
    public record Split(long[][] keys, int[][] accesses, float[][] grads) {

        /** S, the number of shards. */
        public int shards() {
            return keys.length;
        }
    }

    /**
     * Splits the first {@code count} keys of a batch (strictly ascending, so distinct) by shard, with
     * their accesses and their gradient slices ({@code stride} floats each) when those are not null.
     * Every shard gets arrays, empty when it owns none of the keys.
     *
     * @throws IllegalArgumentException when the keys are not strictly ascending, a buffer is too small
     *                                  for {@code count} keys, or {@code shards < 1}
     */
    public static Split split(long[] keys, int[] accesses, float[] grads, int count, int stride, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("row shards must be >= 1, got " + shards);
        }
        if (count < 0 || count > keys.length || accesses != null && accesses.length < count
                || grads != null && (stride < 1 || (long) grads.length < (long) count * stride)) {
            throw new IllegalArgumentException("a split of " + count + " keys at stride " + stride + " needs that many keys"
                    + (accesses == null ? "" : " and accesses") + (grads == null ? "" : " and count x stride gradients")
                    + ", got " + keys.length + (accesses == null ? "" : ", " + accesses.length)
                    + (grads == null ? "" : ", " + grads.length));
        }
        int[] shardOf = new int[count];
        int[] sizes = new int[shards];
        for (int i = 0; i < count; i++) {
            if (i > 0 && keys[i] <= keys[i - 1]) {
                throw new IllegalArgumentException("keys must be strictly ascending: keys[" + i + "] = " + keys[i]
                        + " follows " + keys[i - 1]);
            }
            shardOf[i] = shardOf(keys[i], shards);
            sizes[shardOf[i]]++;
        }
        long[][] k = new long[shards][];
        int[][] a = accesses == null ? null : new int[shards][];
        float[][] g = grads == null ? null : new float[shards][];
        for (int s = 0; s < shards; s++) {
            k[s] = new long[sizes[s]];
            if (a != null) {
                a[s] = new int[sizes[s]];
            }
            if (g != null) {
                g[s] = new float[sizes[s] * stride];
            }
        }
        Arrays.fill(sizes, 0);
        for (int i = 0; i < count; i++) {
            int s = shardOf[i];
            int j = sizes[s]++;
            k[s][j] = keys[i];
            if (a != null) {
                a[s][j] = accesses[i];
            }
            if (g != null) {
                System.arraycopy(grads, i * stride, g[s], j * stride, stride);
            }
        }
        return new Split(k, a, g);
    }
}
