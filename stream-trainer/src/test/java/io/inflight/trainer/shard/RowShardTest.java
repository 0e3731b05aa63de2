package io.inflight.trainer.shard;

import static io.inflight.trainer.shard.ShardFixtures.bits;
import static io.inflight.trainer.shard.ShardFixtures.grads;
import static io.inflight.trainer.shard.ShardFixtures.keysOf;
import static io.inflight.trainer.shard.ShardFixtures.request;
import static io.inflight.trainer.shard.ShardFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.train.BatchTrainer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link RowShard}: S shards give bit for bit the rows one store gives; a re-sent push is applied once
 * (also after the progress is restored); keys of another shard and another stride are refused before
 * anything is applied; a push the store refuses is skipped and its pull still answered.
 */
class RowShardTest {

    private static final long[] NONE = {};

    static Stream<Arguments> configs() {
        BatchSettings batch = new BatchSettings("fm", List.of("a", "b"), 8, 32, List.of(8), "relu", "adam", 1e-3, 0.05,
                1e-4, 0.01, 7, 0);
        return Stream.of(
                Arguments.of("fp32, row-wise Adagrad (BatchTrainer.fullPrecision)", BatchTrainer.fullPrecision(batch, 1 << 16)),
                Arguments.of("int8 chunks 4,4,8, chunk-wise Adagrad, L2", StoreConfig.defaults(ChunkLayout.of(4, 4, 8))
                        .withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f).withOptimizer(0.05f, 1e-4f, 1e-8f)),
                Arguments.of("fp16 chunks 8,8, row-wise Adagrad", StoreConfig.defaults(ChunkLayout.of(8, 8))
                        .withPrecision(Precision.FP16).withInit(ChunkInit.RANDOM, 0.05f).withRowAdagrad(true)));
    }

    /**
     * 200 random batches through one store and through 3 shards: request b pulls batch b and pushes
     * batch b - 1 (so the rows it reads are never stale); every row gathered, and at the end every
     * stored row, is bit-identical.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void shouldGiveBitForBitTheRowsOfOneStore(String name, StoreConfig config) {
        int s = 3;
        int batches = 200;
        EmbeddingStore single = EmbeddingStore.inMemory("single", config);
        RowShard[] shards = new RowShard[s];
        for (int i = 0; i < s; i++) {
            shards[i] = new RowShard(EmbeddingStore.inMemory("shard-" + i, config), i, s);
        }
        int stride = single.stride();
        SplittableRandom r = new SplittableRandom(17);
        long[] pool = r.longs(400).toArray();
        long[] prevKeys = NONE;
        int[] prevAccesses = new int[0];
        float[] prevGrads = new float[0];
        long pulled = 0;
        for (int b = 0; b <= batches; b++) { // the last request only pushes batch 199
            long[] keys = b < batches ? batchKeys(r, pool) : NONE;
            if (b > 0) {
                single.scatter(prevKeys, prevAccesses, prevKeys.length, prevGrads, b - 1);
            }
            float[] expected = new float[keys.length * stride];
            single.gather(keys, keys.length, expected);

            RowShards.Split pull = RowShards.split(keys, null, null, keys.length, 0, s);
            RowShards.Split push = RowShards.split(prevKeys, prevAccesses, prevGrads, prevKeys.length, stride, s);
            float[] got = new float[keys.length * stride];
            for (int i = 0; i < s; i++) {
                ShardRequest req = new ShardRequest(0, b, stride, b - 1, Math.max(0, b - 1), push.keys()[i],
                        push.accesses()[i], push.grads()[i], pull.keys()[i]);
                // through the wire format both ways, as between the tasks
                ShardReply reply = RowShardCodec.decodeReply(RowShardCodec.encode(
                        shards[i].handle(RowShardCodec.decodeRequest(RowShardCodec.encode(req)))));
                assertThat(reply.keys()).isEqualTo(pull.keys()[i]);
                assertThat(reply.shard()).isEqualTo(i);
                float[] rows = ReplyRows.floats(reply, config);
                for (int j = 0; j < reply.keys().length; j++) {
                    int at = Arrays.binarySearch(keys, reply.keys()[j]);
                    System.arraycopy(rows, j * stride, got, at * stride, stride);
                }
            }
            assertThat(bits(got)).as("%s: rows gathered for batch %d", name, b).isEqualTo(bits(expected));
            pulled += keys.length;

            // this batch's gradients, as a model makes them: from the rows it read, plus noise
            prevKeys = keys;
            prevAccesses = r.ints(keys.length, 1, 6).toArray();
            prevGrads = new float[keys.length * stride];
            for (int i = 0; i < prevGrads.length; i++) {
                prevGrads[i] = (float) (0.5 * expected[i] + 0.05 * r.nextGaussian());
            }
        }
        Map<Long, String> sharded = new TreeMap<>();
        long rows = 0;
        long bytes = 0;
        for (RowShard shard : shards) {
            Map<Long, String> own = snapshot(shard.rows());
            assertThat(own.keySet()).allSatisfy(k -> assertThat(RowShards.shardOf(k, s)).isEqualTo(shard.shard()));
            assertThat(own).as("every shard holds rows").isNotEmpty();
            sharded.putAll(own);
            rows += shard.rows().rowCount();
            bytes += shard.rows().storedBytes();
            assertThat(shard.appliedPushes()).isEqualTo(batches);
            assertThat(shard.lastApplied(0)).isEqualTo(batches - 1);
        }
        assertThat(pulled).isGreaterThan(2_000);
        assertThat(single.rowCount()).isEqualTo(rows).isGreaterThan(300);
        assertThat(single.storedBytes()).isEqualTo(bytes);
        assertThat(sharded).as("%s: every stored row", name).isEqualTo(snapshot(single));
    }

    /** 1 to 40 distinct keys, mostly from the pool (rows trained many times), some new. */
    private static long[] batchKeys(SplittableRandom r, long[] pool) {
        TreeSet<Long> set = new TreeSet<>();
        int n = 1 + r.nextInt(40);
        while (set.size() < n) {
            set.add(r.nextInt(10) == 0 ? r.nextLong() : pool[r.nextInt(pool.length)]);
        }
        return set.stream().mapToLong(Long::longValue).toArray();
    }

    private static StoreConfig int8() {
        return StoreConfig.defaults(ChunkLayout.of(4, 4)).withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f);
    }

    @Test
    void shouldApplyAReSentPushOnceAndAnswerItsPullAgain() {
        StoreConfig config = int8();
        long[] keys = keysOf(1, 3, 6, 5);
        float[] g = grads(6, 9, 0.1, 9);
        RowShard shard = new RowShard(EmbeddingStore.inMemory("s", config), 1, 3);
        ShardRequest r = request(4, 1, 9, 0, keys, g, keys);
        ShardReply first = shard.handle(r);
        ShardReply again = shard.handle(r);
        assertThat(bits(ReplyRows.floats(again, config))).isEqualTo(bits(ReplyRows.floats(first, config)));
        assertThat(shard.appliedPushes()).isEqualTo(1);
        assertThat(shard.duplicatePushes()).isEqualTo(1);
        assertThat(shard.lastApplied(4)).isZero();
        assertThat(shard.lastApplied(5)).isEqualTo(-1);

        EmbeddingStore once = EmbeddingStore.inMemory("once", config);
        once.scatter(keys, r.pushAccesses(), keys.length, g, 0);
        float[] expected = new float[keys.length * 9];
        once.gather(keys, keys.length, expected);
        assertThat(bits(ReplyRows.floats(first, config))).isEqualTo(bits(expected));
        assertThat(snapshot(shard.rows())).isEqualTo(snapshot(once));

        // an older batch is a duplicate too; another trainer's batch 0 is its own
        shard.handle(request(4, 2, 9, 0, keys, g, NONE));
        assertThat(shard.duplicatePushes()).isEqualTo(2);
        shard.handle(request(7, 1, 9, 0, keys, g, NONE));
        assertThat(shard.appliedPushes()).isEqualTo(2);
        assertThat(shard.lastApplied(7)).isZero();

        // the progress survives export and restore: a new shard over the same rows skips the re-sent push
        Map<Long, String> before = snapshot(shard.rows());
        RowShard restarted = new RowShard(shard.rows(), 1, 3);
        restarted.restoreProgress(shard.exportProgress());
        assertThat(restarted.lastApplied(4)).isZero();
        restarted.handle(r);
        assertThat(restarted.duplicatePushes()).isEqualTo(1);
        assertThat(snapshot(restarted.rows())).isEqualTo(before);
        // without it the push would be applied a second time
        RowShard forgetful = new RowShard(shard.rows(), 1, 3);
        forgetful.handle(r);
        assertThat(forgetful.appliedPushes()).isEqualTo(1);
        assertThat(snapshot(forgetful.rows())).isNotEqualTo(before);
    }

    @Test
    void shouldRefuseProgressOfAnotherShardOrMalformed() {
        RowShard shard = new RowShard(EmbeddingStore.inMemory("s", int8()), 1, 3);
        shard.handle(request(2, 5, 9, 3, NONE, new float[0], NONE));
        byte[] progress = shard.exportProgress();
        RowShard other = new RowShard(EmbeddingStore.inMemory("o", int8()), 2, 3);
        assertThatThrownBy(() -> other.restoreProgress(progress)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shard 1 of S = 3, this is shard 2 of S = 3");
        assertThatThrownBy(() -> new RowShard(shard.rows(), 1, 4).restoreProgress(progress))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("this is shard 1 of S = 4");
        assertThatThrownBy(() -> shard.restoreProgress(Arrays.copyOf(progress, progress.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("12 each");
        assertThatThrownBy(() -> shard.restoreProgress(Arrays.copyOf(progress, 6)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        byte[] future = progress.clone();
        future[0] = 9;
        assertThatThrownBy(() -> shard.restoreProgress(future)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("format 9 is not supported");
        assertThat(shard.lastApplied(2)).as("a refused restore leaves no progress").isEqualTo(-1);
        shard.restoreProgress(progress);
        assertThat(shard.lastApplied(2)).isEqualTo(3);
        shard.restoreProgress(null);
        assertThat(shard.lastApplied(2)).isEqualTo(-1);
    }

    @Test
    void shouldRefuseKeysOfAnotherShardAndAnotherStrideBeforeApplyingAnything() {
        EmbeddingStore store = EmbeddingStore.inMemory("s", int8());
        RowShard shard = new RowShard(store, 0, 3);
        long[] own = keysOf(0, 3, 2, 2);
        long foreign = keysOf(2, 3, 1, 1)[0];
        assertThatThrownBy(() -> shard.handle(request(0, 1, 9, 0, own, grads(2, 9, 0.1, 1), new long[] {foreign})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pull key " + foreign).hasMessageContaining("belongs to shard 2, not to shard 0 (S = 3)");
        assertThatThrownBy(() -> shard.handle(request(0, 1, 9, 0, new long[] {foreign}, grads(1, 9, 0.1, 1), own)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("push key " + foreign);
        assertThatThrownBy(() -> shard.handle(request(0, 1, 5, 0, own, grads(2, 5, 0.1, 1), own)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has stride 5")
                .hasMessageContaining("has stride 9");
        assertThat(store.rowCount()).isZero();
        assertThat(shard.lastApplied(0)).isEqualTo(-1);
        assertThatThrownBy(() -> new RowShard(store, 3, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row shard 3 is not one of S = 3");
    }

    @Test
    void shouldSkipAPushTheStoreRefusesAndStillAnswerThePull() {
        RowShard shard = new RowShard(EmbeddingStore.inMemory("small", int8().withHotCapacity(4)), 0, 3);
        long[] keys = keysOf(0, 3, 6, 3);
        ShardRequest tooMany = request(0, 1, 9, 0, keys, grads(6, 9, 0.1, 4), keys);
        ShardReply reply = shard.handle(tooMany);
        assertThat(reply.keys()).isEqualTo(keys);
        assertThat(shard.failedPushes()).isEqualTo(1);
        assertThat(shard.appliedPushes()).isZero();
        assertThat(shard.lastFailure()).contains("batch 0").contains("hot tier is full");
        assertThat(shard.lastApplied(0)).as("the failed batch is not tried again").isZero();
        shard.handle(tooMany);
        assertThat(shard.duplicatePushes()).isEqualTo(1);
        long[] first = Arrays.copyOf(keys, 3);
        shard.handle(request(0, 2, 9, 1, first, grads(3, 9, 0.1, 5), first));
        assertThat(shard.appliedPushes()).isEqualTo(1);
        assertThat(shard.failedPushes()).isEqualTo(1);
    }
}
