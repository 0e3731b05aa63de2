package io.inflight.trainer.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Policies at row shards ({@link ShardPolicies}): a shard changes rows at rest only, so training over
 * shards that evict is bit for bit training over one table from which the same rows are evicted
 * before the same batches; the budget is the shards' sum and holds after every request.
 */
class ShardPoliciesTest {

    private static final BatchSettings SETTINGS = ShardFixtures.SETTINGS;
    private static final int SHARDS = ShardFixtures.SHARDS;
    private static final int BATCH = 32;

    private static StoreConfig config(Precision precision) {
        return ShardFixtures.config(precision);
    }

    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(30);
            // users: a skewed few come back often, most rarely (the rows a budget should give up)
            int user = r.nextDouble() < 0.5 ? r.nextInt(20) : 20 + r.nextInt(600);
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, r.nextDouble() < (ad < 10 ? 0.7 : 0.15) ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + user),
                            ClickEvent.Field.of("site", "s" + r.nextInt(5))), List.of()));
        }
        return out;
    }

    private static PolicySettings policy(String mode, long budget) {
        return PolicySettings.defaults().with(PolicySettings.BUDGET_BYTES, Long.toString(budget))
                .with(PolicySettings.MODE, mode).with(PolicySettings.INTERVAL_STEPS, "20");
    }

    /** Trains {@code events} in batches over {@code trainer}, calling {@code before} with each batch's number first. */
    private static float[] train(BatchTrainer trainer, List<ClickEvent> events, java.util.function.LongConsumer before) {
        float[] logits = new float[events.size()];
        int[] n = {0};
        long batch = 0;
        for (int i = 0; i < events.size(); i += BATCH, batch++) {
            before.accept(batch);
            trainer.step(events.subList(i, Math.min(events.size(), i + BATCH)), batch, (e, z) -> logits[n[0]++] = z);
        }
        return logits;
    }

    /** The bytes of the whole table trained without a budget. */
    private static long unlimitedBytes(List<ClickEvent> events, StoreConfig config) {
        EmbeddingStore local = EmbeddingStore.inMemory("unlimited", config);
        train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, BATCH, true), local), events, b -> { });
        return local.storedBytes();
    }

    /**
     * Shards with policies, and what each request's policies made of the rows they changed (by
     * request batch: key → its encoded row after the request, null when evicted).
     */
    private static final class Shards {
        final RowShard[] shards = new RowShard[SHARDS];
        final TreeMap<Long, Map<Long, byte[]>> changed = new TreeMap<>();
        final Set<Long> changing = new HashSet<>();
        long worstOverBudget = Long.MIN_VALUE;
        /** Rows the trainer's cache dropped because a shard evicted them in flight. */
        long forgotten;

        Shards(StoreConfig config, PolicySettings policy, int window) {
            for (int s = 0; s < SHARDS; s++) {
                shards[s] = new RowShard(EmbeddingStore.inMemory("shard-" + s, config), s, SHARDS);
                ShardPolicies p = new ShardPolicies(shards[s].rows(), ShardPolicies.perShard(policy, SHARDS), window);
                p.onChange(changing::add);
                shards[s].policies(p);
            }
        }

        ShardedRows.Exchange exchange() {
            return (s, bytes) -> {
                ShardRequest r = RowShardCodec.decodeRequest(bytes);
                RowShard shard = shards[s];
                changing.clear();
                byte[] reply = RowShardCodec.encode(shard.handle(r));
                Map<Long, byte[]> rows = changed.computeIfAbsent(r.batch(), b -> new HashMap<>());
                for (long key : changing) {
                    rows.put(key, shard.rows().encodedRow(key));
                }
                long budget = shard.policies().runner().tableBudgetBytes();
                worstOverBudget = Math.max(worstOverBudget, shard.rows().storedBytes() - budget);
                return reply;
            };
        }

        /** Makes {@code local}'s rows what the requests of {@code batch} made of the rows their policies changed. */
        void replay(long batch, EmbeddingStore local) {
            changed.getOrDefault(batch, Map.of()).forEach((key, row) -> {
                if (row == null) {
                    local.evictRow(key);
                } else {
                    local.putEncodedRow(key, row);
                }
            });
        }

        long changes() {
            return changed.values().stream().mapToLong(Map::size).sum();
        }
    }

    /**
     * Trains over shards running {@code mode} under half the unlimited table's bytes, and over one table
     * without policies into which, before each batch, the rows the shards' policies changed at that
     * batch's requests are copied: the logits and the final rows must be the same, bit for bit. A shard
     * that changed a row still in the trainer's window (updates in flight, or a copy in its cache)
     * would make them differ.
     */
    private static Shards assertSameAsOneTableWithTheShardsChanges(String mode, int window, List<ClickEvent> events) {
        return assertSameAsOneTableWithTheShardsChanges(mode, window, 2, events);
    }

    /** As above, under 1/{@code fraction} of the unlimited table's bytes. */
    private static Shards assertSameAsOneTableWithTheShardsChanges(String mode, int window, int fraction,
                                                                  List<ClickEvent> events) {
        StoreConfig unlimited = config(Precision.FP32);
        long budget = unlimitedBytes(events, unlimited) / fraction;
        PolicySettings policy = policy(mode, budget);
        StoreConfig config = config(policy.initialPrecision()); // new rows at the ladder's floor, as InflightConfig makes them
        Shards shards = new Shards(config, policy, window);
        ShardedRows rows = new ShardedRows("sharded", config, 0, SHARDS, window, 0, shards.exchange());
        float[] logits = train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, BATCH, true), rows), events, b -> { });
        rows.flush();
        shards.forgotten = rows.forgotten();

        EmbeddingStore local = EmbeddingStore.inMemory("local", config);
        float[] expected = train(new BatchTrainer(SETTINGS, new PlainFmBatchModel(3, 8, BATCH, true), local), events,
                b -> shards.replay(b, local));
        long batches = (events.size() + BATCH - 1) / BATCH;
        shards.changed.tailMap(batches).keySet().forEach(b -> shards.replay(b, local)); // the flush's requests

        assertThat(shards.changes()).as("rows the shards' policies changed, %s at W = %d", mode, window).isGreaterThan(50);
        assertThat(logits).as("logits, %s at W = %d", mode, window).isEqualTo(expected);
        long rowsAtShards = 0;
        for (RowShard s : shards.shards) {
            rowsAtShards += s.rows().rowCount();
            s.rows().forEachRow(row -> assertThat(s.rows().encodedRow(row.key())).as("row %d", row.key())
                    .isEqualTo(local.encodedRow(row.key())));
            assertThat(s.failedPasses()).isZero();
            assertThat(s.policies().passes()).isPositive();
        }
        assertThat(rowsAtShards).isEqualTo(local.rowCount());
        // the shards' budgets add up to at most the total, and each holds after every request
        assertThat(shards.shards[0].policies().runner().tableBudgetBytes() * SHARDS).isLessThanOrEqualTo(budget);
        assertThat(shards.worstOverBudget).as("bytes above a shard's budget after a request").isLessThanOrEqualTo(0);
        return shards;
    }

    @Test
    void shouldTrainAsOneTableThatEvictsWhatTheShardsEvictBeforeTheSameBatches() {
        for (int window : new int[] {1, 4}) {
            Shards shards = assertSameAsOneTableWithTheShardsChanges("adaembed", window, stream(4000, 21));
            long victims = 0;
            for (RowShard s : shards.shards) {
                victims += s.policies().victimEvictions();
            }
            assertThat(victims).as("rows evicted between passes to hold the budget").isPositive();
        }
        // a budget below the rows of W batches: the shards evict rows in flight, the trainer forgets its copies
        Shards tight = assertSameAsOneTableWithTheShardsChanges("adaembed", 8, 6, stream(4000, 24));
        assertThat(tight.forgotten).as("cached rows dropped as their shards evicted them").isPositive();
        assertThat(Arrays.stream(tight.shards).mapToLong(RowShard::droppedGradients).sum())
                .as("gradients of rows evicted in flight, dropped at the shards").isPositive();
    }

    @Test
    void shouldTrainAsOneTableWithTheShardsLadderAndChunkPruning() {
        Shards ladder = assertSameAsOneTableWithTheShardsChanges("precision", 4, stream(4000, 22));
        Set<Precision> precisions = new HashSet<>();
        for (RowShard s : ladder.shards) {
            s.rows().forEachRow(row -> {
                for (int c = 0; c < 4; c++) {
                    if ((row.mask() & (1 << c)) != 0) {
                        precisions.add(row.precision(c));
                    }
                }
            });
        }
        assertThat(precisions).as("the ladder's rungs the shards' rows are at").hasSizeGreaterThan(1);
        Shards fiited = assertSameAsOneTableWithTheShardsChanges("fiited-adaptive", 3, stream(4000, 23));
        long pruned = 0;
        for (RowShard s : fiited.shards) {
            long[] p = {0};
            s.rows().forEachRow(row -> p[0] += Integer.bitCount(~row.mask() & 0xF));
            pruned += p[0];
        }
        assertThat(pruned).as("chunks pruned at the shards").isPositive();
    }

    @Test
    void shouldNotChangeARowThatARequestOfTheLastWindowPulled() {
        StoreConfig config = config(Precision.FP32);
        EmbeddingStore rows = EmbeddingStore.inMemory("s", config);
        ShardPolicies p = new ShardPolicies(rows, policy("adaembed", 0), 4);
        p.pulled(10, new long[] {3, 1, 2});
        p.pulled(11, new long[] {5});
        p.pulled(13, new long[] {7});
        assertThat(p.atRest(1)).isFalse();
        assertThat(p.atRest(7)).isFalse();
        assertThat(p.atRest(4)).isTrue();
        p.pulled(14, new long[] {8}); // batch 10 leaves the window (14 - 4)
        assertThat(p.atRest(1)).isTrue();
        assertThat(p.atRest(5)).isFalse();
        // a trainer that restarted sends batch 12 again: the later batches' keys stay busy
        p.pulled(12, new long[] {9});
        assertThat(p.atRest(8)).isFalse();
        assertThat(p.atRest(9)).isFalse();
        assertThat(p.atRest(5)).isFalse();
        // the ring and the state survive a restart
        ShardPolicies restored = new ShardPolicies(rows, policy("adaembed", 0), 4);
        for (int s = 0; s < RequestRing.SLOTS; s++) {
            restored.ring().restoreSlot(s, p.ring().exportSlot(s));
        }
        restored.restoreState(p.exportState());
        restored.pulled(12, new long[] {9});
        for (long k = 0; k < 12; k++) {
            assertThat(restored.atRest(k)).as("key %d", k).isEqualTo(p.atRest(k));
        }
        assertThatThrownBy(() -> restored.ring().restoreSlot(3, new byte[] {1, 0, 0})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slot 3");
        assertThatThrownBy(() -> restored.ring().restoreSlot(4, p.ring().exportSlot(RequestRing.slotOf(11))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slot 4");
        assertThatThrownBy(() -> restored.restoreState(new byte[] {9})).hasMessageContaining("format 9");
    }

    @Test
    void shouldSplitTheBudgetAmongTheShardsAndRefuseModesOfTheTrainersStep() {
        PolicySettings total = policy("adaembed", 1_000_000).with(PolicySettings.ADAEMBED_CAPACITY_ROWS, "1000")
                .with(PolicySettings.ADMISSION_COUNT, "3");
        PolicySettings one = ShardPolicies.perShard(total, 3);
        assertThat(one.budgetBytes()).isEqualTo(333_333);
        assertThat(one.rowCapacity()).isEqualTo(333);
        assertThat(one.sharedFraction()).isZero();
        assertThat(one.admissionCount()).isEqualTo(1);
        assertThat(one.sharedRows(8)).isZero();
        EmbeddingStore rows = EmbeddingStore.inMemory("s", config(Precision.FP32));
        for (PolicyMode mode : List.of(PolicyMode.ALL, PolicyMode.ESAPN, PolicyMode.FIITED_2D, PolicyMode.HASH)) {
            assertThatThrownBy(() -> new ShardPolicies(rows, policy(mode.configName(), 1_000_000), 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(mode.configName())
                    .hasMessageContaining("adaembed, fiited-manual, fiited-adaptive, precision");
        }
        assertThatThrownBy(() -> new ShardPolicies(rows, policy("adaembed", 0), 0)).hasMessageContaining("window");
    }
}
