package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.store.StoreConfig;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ShardedRun}: through row shards without policies, training is {@link InProcessRun}'s bit for
 * bit (same batches, same progressive metrics, the shards' bytes adding up to the one table's); with a
 * budget the shards' sum stays under it and so does each shard under its share.
 */
class ShardedRunTest {

    private static final CompressionBench.Stream STREAM = CompressionBench.generated(3_000, 8, 17);

    private static InflightConfig config(String mode, long budget) {
        var o = new CompressionBench.Options(List.of("fm"), List.of(mode), List.of(), 100, 16, "4,4,4,4", List.of(32),
                25, Map.of());
        return InflightConfig.parse(CompressionBench.config(STREAM, "fm", mode, budget, 3, o));
    }

    @Test
    void withoutPoliciesShardsTrainAsOneTable() {
        InflightConfig cfg = config("none", 0);
        BatchSettings s = cfg.batchSettings();
        StoreConfig store = cfg.storeConfig(s).withHotCapacity(InProcessRun.MAX_ROWS);
        PairedAuc.Scores one = new PairedAuc.Scores();
        long[] oneBytes = {0};
        InProcessRun.Result r;
        try (BatchModel m = BatchModels.create(s)) {
            r = InProcessRun.run(s, store, cfg.policySettings(), m, STREAM.open().get(), 4096, 0,
                    (step, events, rows, afterPass) -> oneBytes[0] = rows.storedBytes(), one);
        }
        for (int window : new int[] {1, 5}) {
            PairedAuc.Scores sharded = new PairedAuc.Scores();
            ShardedRun.Result got;
            try (BatchModel m = BatchModels.create(s)) {
                got = ShardedRun.run(s, store, cfg.policySettings(), m, STREAM.open().get(), 4096, 3, window, sharded);
            }
            assertThat(got.run().metrics()).as("W = %d", window).isEqualTo(r.metrics());
            PairedAuc.Result paired = PairedAuc.compare(one, sharded);
            assertThat(paired.delta()).isZero();
            assertThat(paired.se()).isZero(); // every event scored the same
            assertThat(got.run().rows()).isEqualTo(r.rows());
            assertThat(got.finalBytes()).as("the shards' bytes add up to the table's").isEqualTo(oneBytes[0]);
            assertThat(got.peakBytes()).isEqualTo(got.finalBytes()); // nothing evicted: the bytes only grow
            assertThat(got.steps()).isEqualTo(30);
            assertThat(got.passes()).isZero();
            assertThat(got.shardPeakShare()).isNaN(); // no budget
        }
    }

    /**
     * Under a budget the shards' sum and each shard's share hold after every request, with one batch in
     * flight and with 32 (then the window's rows alone are more than the budget: rows in flight go too).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 32})
    void underABudgetTheShardsSumAndEachShareHoldWhateverTheWindow(int window) {
        long unlimited;
        InflightConfig ref = config("none", 0);
        try (BatchModel m = BatchModels.create(ref.batchSettings())) {
            unlimited = ShardedRun.run(ref.batchSettings(), ref.storeConfig(ref.batchSettings()), ref.policySettings(), m,
                    STREAM.open().get(), 4096, 2, 4, null).finalBytes();
        }
        long budget = unlimited / 4;
        InflightConfig cfg = config("adaembed", budget);
        ShardedRun.Result got;
        try (BatchModel m = BatchModels.create(cfg.batchSettings())) {
            got = ShardedRun.run(cfg.batchSettings(), cfg.storeConfig(cfg.batchSettings()), cfg.policySettings(), m,
                    STREAM.open().get(), 4096, 2, window, null);
        }
        assertThat(got.passes()).isPositive();
        assertThat(got.overShare()).isZero();
        assertThat(got.peakBytes()).isLessThanOrEqualTo(budget).isGreaterThan(budget / 2);
        assertThat(got.stepsOverBudget()).isZero();
        assertThat(got.shardPeakShare()).isLessThanOrEqualTo(1.0).isGreaterThan(0.5);
        assertThat(got.finalBytes()).isLessThan(unlimited);
        assertThat(got.run().metrics().auc()).isGreaterThan(0.5);
    }

    @Test
    void aModeOfTheTrainersStepIsRefusedNamingIt() {
        InflightConfig cfg = config("all", 100_000);
        try (BatchModel m = BatchModels.create(cfg.batchSettings())) {
            assertThatThrownBy(() -> ShardedRun.run(cfg.batchSettings(), cfg.storeConfig(cfg.batchSettings()),
                    cfg.policySettings(), m, STREAM.open().get(), 4096, 2, 4, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("do not run policy mode all");
        }
    }
}
