package io.inflight.policies.precision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.sim.SimTable;
import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PrecisionLadderTest {

    private static final Precision[] LEVELS = {Precision.FP32, Precision.FP16, Precision.INT8, Precision.INT4};
    private static final double[] SHARES = {0.05, 0.15, 0.3};

    /** 5000 rows accessed with Zipf(1.1) frequencies over 300 steps. */
    private static SimTable zipfTable() {
        SimTable t = SimTable.equalChunks(8, 2, new UtilityRule(UtilityRule.Kind.ACCESS_ONLY, 0.999f), 1);
        int n = 5000;
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, 1.1);
            cdf[i] = sum;
        }
        for (long key = 0; key < n; key++) {
            t.addRow(key, 0b11, Precision.INT8);
        }
        for (long step = 1; step <= 300; step++) {
            for (int e = 0; e < 200; e++) {
                double u = SplitMix64.unit(SplitMix64.at(9, step, e)) * sum;
                int idx = Arrays.binarySearch(cdf, u);
                t.access(idx < 0 ? -idx - 1 : idx, step, 1, 1f);
            }
        }
        return t;
    }

    @Test
    void shouldPutTheMostAccessedRowsAtTheHighestPrecision() {
        SimTable t = zipfTable();
        PrecisionLadder ladder = new PrecisionLadder(LEVELS, SHARES, 4096);
        PrecisionLadder.Result r = ladder.run(t, 1.0, 3);
        for (long key = 0; key < 20; key++) {
            assertThat(t.precision(key, 0)).as("rank %d", key).isEqualTo(Precision.FP32);
        }
        assertThat(t.precision(4999, 0)).isEqualTo(Precision.INT4);
        long chunks = 10_000;
        long[] per = r.chunksPerPrecision();
        assertThat(per[Precision.FP32.ordinal()] + per[Precision.FP16.ordinal()] + per[Precision.INT8.ordinal()]
                + per[Precision.INT4.ordinal()]).isEqualTo(chunks);
        // Rungs by rank; ties at zero utility (never-accessed rows) all land on the last rung.
        assertThat((double) per[Precision.FP32.ordinal()] / chunks).isCloseTo(0.05, within(0.02));
        assertThat(r.promotions()).isEqualTo(per[Precision.FP32.ordinal()] + per[Precision.FP16.ordinal()]);
        assertThat(r.demotions()).isEqualTo(per[Precision.INT4.ordinal()]);
        assertThat(t.storedBytes()).isEqualTo(t.recomputeBytes());
    }

    @Test
    void shouldPromoteARowThatTurnsHot() {
        SimTable t = zipfTable();
        PrecisionLadder ladder = new PrecisionLadder(LEVELS, SHARES, 4096);
        ladder.run(t, 1.0, 3);
        assertThat(t.precision(4000, 0).bits()).isLessThanOrEqualTo(8);
        for (long step = 301; step <= 1300; step++) {
            t.access(4000, step, 5, 1f);
            t.access(step % 500 + 100, step, 3, 1f); // keep a middle population warm
        }
        ladder.run(t, 1.0, 4);
        assertThat(t.precision(4000, 0)).isEqualTo(Precision.FP32);
    }

    @Test
    void shouldShrinkUpperRungsWhenScaledDown() {
        SimTable t = zipfTable();
        PrecisionLadder ladder = new PrecisionLadder(LEVELS, SHARES, 4096);
        long full = t.storedBytes();
        ladder.run(t, 1.0, 3);
        long atScale1 = t.storedBytes();
        ladder.run(t, 0.2, 3);
        assertThat(t.storedBytes()).isLessThan(atScale1).isLessThan(full);
    }

    @Test
    void shouldApplyTheMpeRule() {
        int[] bits = {0, 1, 2, 3, 4, 5, 6};
        // m = 7, so a probability must exceed 1/14 = 0.0714.
        assertThat(MpeRule.bits(bits, new double[] {0.1, 0.05, 0.6, 0.08, 0.07, 0.05, 0.05})).isEqualTo(3);
        assertThat(MpeRule.bits(bits, new double[] {0.9, 0.02, 0.02, 0.02, 0.02, 0.01, 0.01})).isZero();
        assertThat(MpeRule.precisionFor(3)).isEqualTo(Precision.INT4);
        assertThat(MpeRule.precisionFor(0)).isNull();
        assertThat(MpeRule.precisionFor(12)).isEqualTo(Precision.FP16);
    }
}
