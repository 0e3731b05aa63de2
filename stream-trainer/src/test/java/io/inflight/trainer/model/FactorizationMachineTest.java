package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class FactorizationMachineTest {

    @Test
    void shouldComputeThePairwiseInteractionTerm() {
        FactorizationMachine fm = new FactorizationMachine(2, 0.1, 0, 0.1, 1);
        float[][] rows = {{0.5f, 1f, 2f, 0, 0}, {-0.25f, 3f, -1f, 0, 0}, {0f, 0.5f, 0.5f, 0, 0}};
        float[] dense = {0.1f, 0};
        // w0 + Σw + Σ_{i<j} <v_i, v_j>
        double pairs = (1 * 3 + 2 * -1) + (1 * 0.5 + 2 * 0.5) + (3 * 0.5 + -1 * 0.5);
        assertThat(fm.logit(rows, 3, dense)).isCloseTo(0.1 + 0.5 - 0.25 + pairs, within(1e-6));
    }

    @Test
    void shouldDescendTheLossOnRepeatedExamples() {
        FactorizationMachine fm = new FactorizationMachine(4, 0.05, 0, 0.1, 7);
        float[][] rows = new float[3][fm.rowWidth()];
        for (int i = 0; i < 3; i++) {
            fm.initRow(100 + i, rows[i]);
        }
        float[] dense = new float[2];
        double before = Losses.logLoss(fm.logit(rows, 3, dense), 1);
        for (int step = 0; step < 50; step++) {
            double z = fm.logit(rows, 3, dense);
            fm.learn(rows, 3, dense, z, 1);
        }
        double after = Losses.logLoss(fm.logit(rows, 3, dense), 1);
        assertThat(after).isLessThan(before * 0.5);
    }

    @Test
    void shouldInitialiseRowsDeterministicallyPerKey() {
        FactorizationMachine a = new FactorizationMachine(8, 0.1, 0, 0.01, 42);
        FactorizationMachine b = new FactorizationMachine(8, 0.1, 0, 0.01, 42);
        float[] r1 = new float[a.rowWidth()];
        float[] r2 = new float[b.rowWidth()];
        float[] r3 = new float[b.rowWidth()];
        a.initRow(5, r1);
        b.initRow(5, r2);
        b.initRow(6, r3);
        assertThat(r1).containsExactly(r2);
        assertThat(r1).isNotEqualTo(r3);
        assertThat(r1[0]).isZero();
    }

    @Test
    void shouldComputeStableLogLoss() {
        assertThat(Losses.logLoss(800, 1)).isCloseTo(0, within(1e-12));
        assertThat(Losses.logLoss(-800, 1)).isCloseTo(800, within(1e-9));
        assertThat(Losses.logLoss(0, 0)).isCloseTo(Math.log(2), within(1e-12));
    }
}
