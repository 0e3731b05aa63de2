package io.inflight.trainer.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Shard assignment (in range, balanced, independent of the store's hash slots) and the split of a batch by shard. */
class RowShardsTest {

    @Test
    void shouldPutEveryKeyInOneShardInRange() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            long key = r.nextLong();
            int shards = 1 + r.nextInt(64);
            int s = RowShards.shardOf(key, shards);
            assertThat(s).isBetween(0, shards - 1).isEqualTo(RowShards.shardOf(key, shards));
        }
        assertThat(RowShards.shardOf(Long.MIN_VALUE, Integer.MAX_VALUE)).isBetween(0, Integer.MAX_VALUE - 1);
        assertThat(RowShards.shardOf(42L, 1)).isZero();
        assertThatThrownBy(() -> RowShards.shardOf(1L, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void shouldBalanceSequentialAndRandomKeys() {
        for (int shards : new int[] {2, 3, 7}) {
            int n = 140_000;
            int[] sequential = new int[shards];
            int[] random = new int[shards];
            SplittableRandom r = new SplittableRandom(shards);
            for (int i = 0; i < n; i++) {
                sequential[RowShards.shardOf(i, shards)]++;
                random[RowShards.shardOf(r.nextLong(), shards)]++;
            }
            for (int s = 0; s < shards; s++) {
                assertThat(sequential[s]).as("sequential keys in shard %d of %d", s, shards)
                        .isBetween((int) (0.97 * n / shards), (int) (1.03 * n / shards));
                assertThat(random[s]).as("random keys in shard %d of %d", s, shards)
                        .isBetween((int) (0.97 * n / shards), (int) (1.03 * n / shards));
            }
        }
    }

    @Test
    void shouldSpreadAShardsKeysOverTheStoresHashSlotsLikeAllKeys() {
        // the hot tier's index slots a key by the low bits of SplitMix64.mix(key): one shard's keys must not cluster there
        int[] slots = new int[16];
        int n = 0;
        for (long key = 0; n < 64_000; key++) {
            if (RowShards.shardOf(key, 4) == 2) {
                slots[(int) SplitMix64.mix(key) & 15]++;
                n++;
            }
        }
        for (int c : slots) {
            assertThat(c).isBetween((int) (0.9 * n / 16), (int) (1.1 * n / 16));
        }
    }

    @Test
    void shouldSplitABatchIntoAscendingPerShardArraysWithTheirSlices() {
        SplittableRandom r = new SplittableRandom(11);
        TreeSet<Long> set = new TreeSet<>();
        while (set.size() < 300) {
            set.add(r.nextLong());
        }
        long[] keys = set.stream().mapToLong(Long::longValue).toArray();
        int stride = 3;
        int count = 250; // the buffers are longer than the batch, as the trainer's are
        int[] accesses = r.ints(keys.length, 1, 9).toArray();
        float[] grads = new float[keys.length * stride];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = (float) r.nextGaussian();
        }
        RowShards.Split split = RowShards.split(keys, accesses, grads, count, stride, 3);
        assertThat(split.shards()).isEqualTo(3);
        TreeSet<Long> seen = new TreeSet<>();
        for (int s = 0; s < 3; s++) {
            long[] k = split.keys()[s];
            assertThat(k).isSorted().doesNotHaveDuplicates();
            assertThat(split.accesses()[s]).hasSize(k.length);
            assertThat(split.grads()[s]).hasSize(k.length * stride);
            for (int j = 0; j < k.length; j++) {
                assertThat(RowShards.shardOf(k[j], 3)).isEqualTo(s);
                int i = Arrays.binarySearch(keys, 0, count, k[j]);
                assertThat(i).isNotNegative();
                assertThat(split.accesses()[s][j]).isEqualTo(accesses[i]);
                assertThat(Arrays.copyOfRange(split.grads()[s], j * stride, (j + 1) * stride))
                        .containsExactly(Arrays.copyOfRange(grads, i * stride, (i + 1) * stride));
                seen.add(k[j]);
            }
        }
        assertThat(seen).hasSize(count).containsExactlyElementsOf(set.headSet(keys[count]));

        RowShards.Split pull = RowShards.split(keys, null, null, count, 0, 3);
        assertThat(pull.accesses()).isNull();
        assertThat(pull.grads()).isNull();
        assertThat(pull.keys()).isDeepEqualTo(split.keys());
        long[][] none = RowShards.split(keys, null, null, 0, 0, 5).keys();
        assertThat(none).hasNumberOfRows(5);
        for (long[] k : none) {
            assertThat(k).isEmpty();
        }
    }

    @Test
    void shouldRefuseKeysOutOfOrderOrBuffersTooShort() {
        assertThatThrownBy(() -> RowShards.split(new long[] {1L, 5L, 5L}, null, null, 3, 0, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keys[2] = 5 follows 5");
        assertThatThrownBy(() -> RowShards.split(new long[] {1L, 2L}, new int[] {1, 1}, new float[5], 2, 3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 2, 2, 5");
        assertThatThrownBy(() -> RowShards.split(new long[] {1L}, null, null, 2, 0, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RowShards.split(new long[] {1L}, null, null, 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }
}
