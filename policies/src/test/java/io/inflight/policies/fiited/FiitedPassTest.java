package io.inflight.policies.fiited;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.sim.SimTable;
import io.inflight.policies.util.SplitMix64;
import org.junit.jupiter.api.Test;

class FiitedPassTest {

    private static final UtilityRule RULE = new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.99f);
    private static final int ROWS = 20_000;
    private static final int M = 2048;

    /** Rows with power-law utilities (Pareto, alpha 1.2), different per chunk. */
    private static SimTable powerLawTable() {
        SimTable t = SimTable.equalChunks(16, 4, RULE, 1);
        for (long key = 0; key < ROWS; key++) {
            t.addRow(key, 0b1111, Precision.FP32);
            for (int c = 0; c < 4; c++) {
                double u = SplitMix64.unit(SplitMix64.at(7, key, c));
                t.setUtility(key, c, (float) Math.pow(1 - u, -1 / 1.2) / (c + 1));
            }
        }
        return t;
    }

    private static long[] prunedPerChunk(SimTable t) {
        long[] pruned = new long[4];
        t.forEachRow(row -> {
            for (int c = 0; c < 4; c++) {
                if ((row.mask() & (1 << c)) == 0) {
                    pruned[c]++;
                }
            }
        });
        return pruned;
    }

    @Test
    void shouldPruneEachChunkAtItsManualRatioWithinSamplingError() {
        SimTable t = powerLawTable();
        FiitedPass pass = new FiitedPass(M, 0.05, ChunkInit.ZERO);
        double[] ratios = PruningRatios.powerLaw(4, 0.5, 1);
        FiitedPass.Result r = pass.run(t, pass.manualThresholds(t, ratios, 11), false, 0);
        assertThat(r.enforced()).isTrue();
        long[] pruned = prunedPerChunk(t);
        for (int c = 0; c < 4; c++) {
            double tolerance = 4 * Math.sqrt(ratios[c] * (1 - ratios[c]) / M) + 1.0 / M;
            assertThat((double) pruned[c] / ROWS).as("chunk %d", c).isCloseTo(ratios[c], within(tolerance));
        }
        assertThat(t.storedBytes()).isEqualTo(t.recomputeBytes());
    }

    @Test
    void shouldPruneTheGlobalRatioWithOneAdaptiveThreshold() {
        SimTable t = powerLawTable();
        FiitedPass pass = new FiitedPass(M, 0.05, ChunkInit.ZERO);
        float[] thresholds = pass.adaptiveThresholds(t, 0.7, 11);
        pass.run(t, thresholds, false, 0);
        long[] pruned = prunedPerChunk(t);
        long total = pruned[0] + pruned[1] + pruned[2] + pruned[3];
        assertThat((double) total / (4.0 * ROWS)).isCloseTo(0.7, within(4 * Math.sqrt(0.21 / M)));
        // Utilities fall with the chunk index, so the adaptive per-chunk ratios float with them.
        assertThat(pruned[3]).isGreaterThan(pruned[0]);
    }

    @Test
    void shouldGiveAHotFeatureItsChunksBackAndTakeThemFromACoolOneWithinOnePass() {
        SimTable t = SimTable.equalChunks(16, 4, RULE, 1);
        int rows = 2000;
        for (long key = 0; key < rows; key++) {
            t.addRow(key, 0b1111, Precision.FP32);
        }
        FiitedPass pass = new FiitedPass(M, 0.05, ChunkInit.RANDOM);
        // Phase 1: keys [0, 200) are hot. Phase 2: the hot set drifts to [200, 400). Every step
        // also touches 10 random background keys in [400, 2000), so cold rows have recent, small
        // utilities that a feature which cooled 800 steps ago falls below.
        long step = 0;
        FiitedPass.Result last = null;
        for (int phase = 0; phase < 2; phase++) {
            long hotStart = phase * 200L;
            long initsBefore = t.randomInits();
            for (int s = 0; s < 800; s++) {
                step++;
                for (long key = hotStart; key < hotStart + 200; key++) {
                    t.access(key, step, 1, 1f);
                }
                for (int i = 0; i < 10; i++) {
                    t.access(400 + SplitMix64.below(SplitMix64.at(3, step, i), rows - 400), step, 1, 1f);
                }
            }
            last = pass.run(t, pass.adaptiveThresholds(t, 0.8, step), false, 0);
            assertThat(last.enforced()).isTrue();
            for (long key = hotStart; key < hotStart + 200; key++) {
                assertThat(t.mask(key)).as("hot key %d in phase %d", key, phase).isEqualTo(0b1111);
            }
            assertThat(t.randomInits() - initsBefore).isEqualTo(last.chunksReallocated());
        }
        assertThat(last.chunksReallocated()).as("the newly hot rows were mostly pruned before").isGreaterThan(400);
        int cooledStillStored = 0;
        for (long key = 0; key < 200; key++) {
            cooledStillStored += Integer.bitCount(t.mask(key));
        }
        assertThat(cooledStillStored).as("chunks kept by the features that cooled").isZero();
    }

    @Test
    void shouldNotChurnWhenUtilitiesMerelyJitter() {
        SimTable t = powerLawTable();
        FiitedPass gated = new FiitedPass(M, 0.05, ChunkInit.ZERO);
        gated.run(t, gated.adaptiveThresholds(t, 0.5, 1), false, 0);
        long totalChunks = 4L * ROWS;
        long churnUngated = 0;
        for (int round = 0; round < 5; round++) {
            jitter(t, round);
            FiitedPass.Result r = gated.run(t, gated.adaptiveThresholds(t, 0.5, 100 + round), false, 0);
            assertThat(r.crossings()).as("chunks near the threshold do cross").isPositive();
            assertThat(r.enforced()).isFalse();
            assertThat(r.chunksPruned() + r.chunksReallocated()).isLessThanOrEqualTo((long) (0.05 * totalChunks));
        }
        FiitedPass ungated = new FiitedPass(M, 0.0, ChunkInit.ZERO);
        for (int round = 0; round < 5; round++) {
            jitter(t, 10 + round);
            FiitedPass.Result r = ungated.run(t, ungated.adaptiveThresholds(t, 0.5, 200 + round), false, 0);
            churnUngated += r.chunksPruned() + r.chunksReallocated();
        }
        assertThat(churnUngated).as("without the crossing check the same jitter churns").isPositive();
    }

    /** Multiplies every utility by a factor in [0.97, 1.03]. */
    private static void jitter(SimTable t, int round) {
        for (long key = 0; key < ROWS; key++) {
            for (int c = 0; c < 4; c++) {
                double j = 0.97 + 0.06 * SplitMix64.unit(SplitMix64.at(round, key, c));
                t.setUtility(key, c, (float) (t.utility(key, c) * j));
            }
        }
    }

    @Test
    void shouldDropTheLeastImportantColumns() {
        GradientSquareImportance imp = new GradientSquareImportance(8);
        float[] grad = {1, 1, 0.1f, 0.1f, 2, 2, 0.01f, 0.01f};
        imp.add(grad, 0, 8, 0);
        assertThat(DimensionPruner.droppedChunks(new int[] {2, 2, 2, 2}, imp, 0.5)).isEqualTo(0b1010);
        assertThat(DimensionPruner.droppedChunks(new int[] {2, 2, 2, 2}, imp, 0.2)).isZero();
    }
}
