package io.inflight.policies.adaembed;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.sim.SimTable;
import io.inflight.policies.util.SplitMix64;
import org.junit.jupiter.api.Test;

class AdaEmbedEvictionTest {

    private static final UtilityRule RULE = new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.99f);

    @Test
    void shouldEvictExactlyTheExcessLowestUtilityRows() {
        SimTable t = SimTable.equalChunks(8, 1, RULE, 1);
        for (long key = 0; key < 10_000; key++) {
            t.addRow(key, 1, Precision.FP32);
            t.setUtility(key, 0, (float) SplitMix64.unit(SplitMix64.at(5, key)));
        }
        float[] evictedMax = {Float.NEGATIVE_INFINITY};
        float[] before = new float[10_000];
        for (long key = 0; key < 10_000; key++) {
            before[(int) key] = t.utility(key, 0);
        }
        long evicted = new AdaEmbedEviction(512).run(t, 7_000, 3);
        assertThat(evicted).isEqualTo(3_000);
        assertThat(t.rowCount()).isEqualTo(7_000);
        float survivorsMin = Float.POSITIVE_INFINITY;
        for (long key = 0; key < 10_000; key++) {
            if (t.contains(key)) {
                survivorsMin = Math.min(survivorsMin, before[(int) key]);
            } else {
                evictedMax[0] = Math.max(evictedMax[0], before[(int) key]);
            }
        }
        assertThat(survivorsMin).isGreaterThanOrEqualTo(evictedMax[0]);
    }

    @Test
    void shouldDoNothingUnderCapacityAndRestartReadmittedRowsAtZero() {
        SimTable t = SimTable.equalChunks(8, 2, RULE, 1);
        for (long key = 0; key < 100; key++) {
            t.addRow(key, 0b11, Precision.FP32);
            t.access(key, 1, (int) key + 1, 1f);
        }
        AdaEmbedEviction ev = new AdaEmbedEviction(64);
        assertThat(ev.run(t, 100, 1)).isZero();
        assertThat(ev.run(t, 90, 1)).isEqualTo(10);
        for (long key = 0; key < 10; key++) {
            assertThat(t.contains(key)).isFalse();
        }
        t.addRow(3, 0b11, Precision.FP32); // the feature comes back
        assertThat(t.utility(3, 0)).isZero();
        t.forEachRow(row -> {
            if (row.key() == 3) {
                assertThat(row.accesses()).isZero();
            }
        });
    }
}
