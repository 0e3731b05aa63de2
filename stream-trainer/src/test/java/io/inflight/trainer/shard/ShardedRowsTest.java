package io.inflight.trainer.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.RowShardCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Training over row shards through the protocol ({@link ShardedRows}) against training over one table. */
class ShardedRowsTest {

    private static final BatchSettings SETTINGS = ShardFixtures.SETTINGS;
    private static final int SHARDS = ShardFixtures.SHARDS;

    private static StoreConfig config(Precision precision) {
        return ShardFixtures.config(precision);
    }

    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(30);
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, r.nextDouble() < (ad < 10 ? 0.7 : 0.15) ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + r.nextInt(300)),
                            ClickEvent.Field.of("site", "s" + r.nextInt(5))), List.of()));
        }
        return out;
    }

    /** Trains {@code events} in batches of 32 over {@code trainer}; returns every logit scored, in order. */
    private static float[] train(BatchTrainer trainer, List<ClickEvent> events) {
        float[] logits = new float[events.size()];
        int[] n = {0};
        for (int i = 0, step = 0; i < events.size(); i += 32, step++) {
            trainer.step(events.subList(i, Math.min(events.size(), i + 32)), step, (e, z) -> logits[n[0]++] = z);
        }
        return logits;
    }

    /** S in-process shards, each over a table of its own, reached through encoded bytes. */
    private static RowShard[] shards(StoreConfig config) {
        RowShard[] shards = new RowShard[SHARDS];
        for (int s = 0; s < SHARDS; s++) {
            shards[s] = new RowShard(EmbeddingStore.inMemory("shard-" + s, config), s, SHARDS);
        }
        return shards;
    }

    private static ShardedRows.Exchange loopback(RowShard[] shards) {
        return (s, request) -> RowShardCodec.encode(shards[s].handle(RowShardCodec.decodeRequest(request)));
    }

    private static void assertSameRows(EmbeddingStore local, RowShard[] shards, int stride) {
        long[] rows = {0};
        float[] a = new float[stride];
        float[] b = new float[stride];
        local.forEachRow(r -> {
            rows[0]++;
            local.read(r.key(), a, 0);
            RowShard owner = shards[RowShards.shardOf(r.key(), SHARDS)];
            assertThat(owner.rows().read(r.key(), b, 0)).as("row %d at its shard", r.key()).isTrue();
            assertThat(b).as("row %d", r.key()).isEqualTo(a);
        });
        long sharded = 0;
        for (RowShard s : shards) {
            assertThat(s.rows().rowCount()).as("rows of shard %d", s.shard()).isPositive();
            sharded += s.rows().rowCount();
        }
        assertThat(sharded).isEqualTo(rows[0]).isPositive();
    }

    @Test
    void shouldTrainBitForBitAsOneTableWithAWindowOfOneBatch() {
        for (Precision p : new Precision[] {Precision.FP32, Precision.INT8}) {
            List<ClickEvent> events = stream(3000, 11);
            EmbeddingStore local = EmbeddingStore.inMemory("local", config(p));
            float[] expected = train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), local), events);

            RowShard[] shards = shards(config(p));
            ShardedRows rows = new ShardedRows("sharded", config(p), 0, SHARDS, 1, loopback(shards));
            BatchTrainer trainer = new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), rows);
            trainer.policies(null);
            float[] logits = train(trainer, events);
            rows.flush();

            assertThat(logits).as("logits at %s", p).isEqualTo(expected);
            assertThat(rows.replyLagMax()).as("nothing in flight with W = 1").isLessThanOrEqualTo(0);
            assertSameRows(local, shards, rows.stride());
            long batches = (events.size() + 31) / 32;
            for (RowShard s : shards) {
                assertThat(s.appliedPushes()).as("pushes applied by shard %d", s.shard()).isEqualTo(batches);
            }
            // one request and one reply per shard per batch, and one more request per shard for the flush
            assertThat(rows.records()).isEqualTo(2 * SHARDS * (batches + 1));
        }
    }

    @Test
    void shouldTrainBitForBitAsOneTableWithAWindowOfBatchesInFlightAndASmallCache() {
        List<ClickEvent> events = stream(3000, 12);
        EmbeddingStore local = EmbeddingStore.inMemory("local", config(Precision.INT8));
        float[] expected = train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), local), events);
        for (long cacheRows : new long[] {1_000_000, 40, 0}) {
            RowShard[] shards = shards(config(Precision.INT8));
            // W = 4: a batch's replies lack the last three batches' updates, the trainer's window cache has them;
            // with a cache of 40 rows (or none beyond the window) rows leave the trainer and come back from the shards
            ShardedRows rows = new ShardedRows("sharded", config(Precision.INT8), 0, SHARDS, 4, cacheRows, loopback(shards));
            float[] logits = train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), rows), events);
            rows.flush();
            assertThat(logits).as("cache of %d rows", cacheRows).isEqualTo(expected);
            assertSameRows(local, shards, rows.stride());
            // the five sites are in every batch: their replies lack the last W - 1 = 3 batches' updates
            assertThat(rows.replyLagMax()).isEqualTo(3);
            assertThat(rows.cachedReads()).isPositive();
            if (cacheRows < 1000) {
                assertThat(rows.cachedRows()).isLessThan(local.rowCount());
            }
            long batches = (events.size() + 31) / 32;
            for (RowShard s : shards) {
                assertThat(s.appliedPushes()).isEqualTo(batches);
                assertThat(s.duplicatePushes()).isZero();
            }
        }
    }

    @Test
    void shouldApplyAPushOnceWhenItsBatchIsSentAgain() {
        RowShard[] shards = shards(config(Precision.FP32));
        List<Map.Entry<Integer, byte[]>> sent = new ArrayList<>();
        ShardedRows.Exchange recording = (s, request) -> {
            sent.add(Map.entry(s, request));
            return loopback(shards).exchange(s, request);
        };
        ShardedRows rows = new ShardedRows("sharded", config(Precision.FP32), 0, SHARDS, 1, recording);
        train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), rows), stream(320, 13));
        rows.flush();
        long[] key = new long[1];
        shards[0].rows().forEachRow(r -> key[0] = r.key());
        float[] before = new float[9];
        float[] after = new float[9];
        assertThat(shards[0].rows().read(key[0], before, 0)).isTrue();
        for (Map.Entry<Integer, byte[]> request : sent) { // a restarted trainer sends its batches again
            shards[request.getKey()].handle(RowShardCodec.decodeRequest(request.getValue()));
        }
        shards[0].rows().read(key[0], after, 0);
        assertThat(after).isEqualTo(before);
        assertThat(Arrays.stream(shards).mapToLong(RowShard::duplicatePushes).sum()).isPositive();
    }

    @Test
    void shouldRefusePoliciesAndSettingsItCannotHonour() {
        ShardedRows rows = new ShardedRows("sharded", config(Precision.FP32), 0, SHARDS, 1, loopback(shards(
                config(Precision.FP32))));
        BatchTrainer trainer = new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, 32, true), rows);
        PolicyRunner runner = new PolicyRunner(PolicySettings.fromMap(Map.of(PolicySettings.MODE, "adaembed")),
                new int[] {2, 2, 2, 2}, SETTINGS.slots());
        assertThatThrownBy(() -> trainer.policies(runner)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("adaembed").hasMessageContaining("local table");
        assertThatThrownBy(() -> rows.newRowMask(1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new ShardedRows("x", config(Precision.FP32), 0, 0, 1, loopback(new RowShard[0])))
                .hasMessageContaining("shards");
        assertThatThrownBy(() -> rows.read(1L, new float[9], 0)).isInstanceOf(UnsupportedOperationException.class);
        // a non-finite gradient is refused before anything is applied to the cache or added to the push
        BatchRows batch = new BatchRows("b", config(Precision.FP32), SHARDS, 1, 10);
        float[] nan = new float[9];
        nan[2] = Float.NaN;
        assertThatThrownBy(() -> batch.scatter(new long[] {5L}, null, 1, nan, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(batch.takePush()).isNull();
        assertThat(batch.cachedRows()).isZero();
        assertThatThrownBy(() -> new ShardedRows("x", config(Precision.FP32), 0, 1, 0, loopback(new RowShard[0])))
                .hasMessageContaining("window");
    }
}
