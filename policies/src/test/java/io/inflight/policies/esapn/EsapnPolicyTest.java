package io.inflight.policies.esapn;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.sim.SimTable;
import io.inflight.policies.util.SplitMix64;
import org.junit.jupiter.api.Test;

class EsapnPolicyTest {

    private static final int K = 4;

    /**
     * Synthetic losses: a frequent feature's loss falls by 0.05 per extra chunk (it has the data to
     * use the dimensions), a rare feature's rises by 0.05 per extra chunk (it overfits); noise 0.02.
     */
    private static float loss(boolean frequent, int mask, long key, long t) {
        double noise = (SplitMix64.unit(SplitMix64.at(99, key, t)) - 0.5) * 0.04;
        int extra = Integer.bitCount(mask) - 1;
        return (float) (0.6 + (frequent ? -0.05 : 0.05) * extra + noise);
    }

    @Test
    void shouldLearnToGrowFrequentUsefulFeaturesAndNotRareOnes() {
        SimTable t = SimTable.equalChunks(16, K, new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.99f), 1);
        EsapnPolicy policy = new EsapnPolicy(1, K, 16, 32, 1e-4f, EsapnPolicy.Baseline.PREVIOUS, ChunkInit.ZERO,
                1 << 14, Precision.FP32, 5);
        long nextKey = 0;
        long[] frequent = new long[32];
        long[] rare = new long[32];
        int[] rareSeen = new int[32];
        for (int i = 0; i < 32; i++) {
            frequent[i] = nextKey++;
            t.addRow(frequent[i], 1, Precision.FP32);
            rare[i] = nextKey++;
            t.addRow(rare[i], 1, Precision.FP32);
        }
        for (long batch = 0; batch < 3000; batch++) {
            for (int i = 0; i < 32; i++) {
                long f = frequent[i];
                policy.observe(t, f, 0, 1000 + batch, t.mask(f), loss(true, t.mask(f), f, batch));
                if (t.mask(f) == 0b1111) { // fully grown: replace it with a fresh frequent feature
                    frequent[i] = nextKey++;
                    t.addRow(frequent[i], 1, Precision.FP32);
                }
                long r = rare[i];
                policy.observe(t, r, 0, 1 + rareSeen[i], t.mask(r), loss(false, t.mask(r), r, batch));
                if (++rareSeen[i] == 3) { // a rare feature is seen 3 times, then a new one comes
                    rare[i] = nextKey++;
                    rareSeen[i] = 0;
                    t.addRow(rare[i], 1, Precision.FP32);
                }
            }
            policy.endBatch();
        }
        assertThat(policy.growProbability(0, 2000, 1)).as("frequent, 1 chunk").isGreaterThan(0.6f);
        assertThat(policy.growProbability(0, 2, 1)).as("rare, 1 chunk").isLessThan(0.1f);

        // With exploration off, fresh features: frequent ones grow, rare ones do not.
        policy.setExplore(false);
        long grownBefore = policy.rowsGrown();
        int frequentGrown = 0;
        int rareGrown = 0;
        for (int i = 0; i < 50; i++) {
            long f = nextKey++;
            t.addRow(f, 1, Precision.FP32);
            long r = nextKey++;
            t.addRow(r, 1, Precision.FP32);
            for (int obs = 0; obs < 3; obs++) {
                policy.observe(t, f, 0, 2000, t.mask(f), 0.5f);
                policy.observe(t, r, 0, 1 + obs, t.mask(r), 0.5f);
            }
            frequentGrown += Integer.bitCount(t.mask(f)) > 1 ? 1 : 0;
            rareGrown += Integer.bitCount(t.mask(r)) > 1 ? 1 : 0;
        }
        assertThat(frequentGrown).isEqualTo(50);
        assertThat(rareGrown).isZero();
        assertThat(policy.rowsGrown() - grownBefore).isGreaterThanOrEqualTo(50);
    }

    @Test
    void shouldRespectTheGrowthAllowanceAndNeverGrowPastK() {
        SimTable t = SimTable.equalChunks(16, K, new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.99f), 1);
        EsapnPolicy policy = new EsapnPolicy(1, K, 16, 8, 1e-4f, EsapnPolicy.Baseline.MEAN5, ChunkInit.RANDOM,
                1 << 10, Precision.FP32, 5);
        policy.setExplore(false);
        // An untrained policy keeps (grow bias -2); force growth by a big allowance check instead:
        t.addRow(1, 0b1111, Precision.FP32);
        assertThat(policy.observe(t, 1, 0, 10, 0b1111, 0.5f)).as("no chunk left to grow into").isFalse();
        policy.setGrowthAllowance(0);
        policy.setExplore(true);
        long before = t.storedBytes();
        for (long key = 100; key < 400; key++) {
            t.addRow(key, 1, Precision.FP32);
            policy.observe(t, key, 0, 10, 1, 0.5f);
        }
        long afterRows = before + 300 * t.rowBytes(1, new Precision[] {Precision.FP32, Precision.FP32,
                Precision.FP32, Precision.FP32});
        assertThat(t.storedBytes()).as("no growth without allowance").isEqualTo(afterRows);
        assertThat(policy.growthBlocked()).as("about 12% of untrained draws want to grow").isPositive();
    }
}
