package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AdamOptimizerTest {

    @Test
    void shouldFollowTheTextbookUpdateWithBiasCorrection() {
        AdamOptimizer adam = new AdamOptimizer(1, 0.1);
        float[] p = {1f};
        double ref = 1;
        double m = 0;
        double v = 0;
        double[] gs = {0.5, -0.2, 0.3};
        for (int t = 1; t <= gs.length; t++) {
            adam.step(p, new float[] {(float) gs[t - 1]});
            m = 0.9 * m + 0.1 * gs[t - 1];
            v = 0.999 * v + 0.001 * gs[t - 1] * gs[t - 1];
            double mHat = m / (1 - Math.pow(0.9, t));
            double vHat = v / (1 - Math.pow(0.999, t));
            ref -= 0.1 * mHat / (Math.sqrt(vHat) + 1e-8);
            assertThat((double) p[0]).isCloseTo(ref, within(1e-5));
        }
        // the first step moves by the learning rate whatever the gradient's scale
        AdamOptimizer fresh = new AdamOptimizer(1, 0.1);
        float[] q = {0f};
        fresh.step(q, new float[] {1e-3f});
        assertThat(q[0]).isCloseTo(-0.1f, within(1e-4f));
    }

    @Test
    void shouldKeepTheStepCountExactBeyondFloatPrecision() {
        AdamOptimizer a = new AdamOptimizer(2, 0.01);
        float[] state = new float[a.stateSize()];
        long steps = (1L << 30) + 12_345;
        state[4] = (float) (steps >>> 24);
        state[5] = (float) (steps & 0xFFFFFF);
        a.importState(state, 0);
        assertThat(a.steps()).isEqualTo(steps);
        a.step(new float[2], new float[2]);
        float[] out = new float[a.stateSize()];
        a.exportState(out, 0);
        AdamOptimizer b = new AdamOptimizer(2, 0.01);
        b.importState(out, 0);
        assertThat(b.steps()).isEqualTo(steps + 1);
    }

    @Test
    void shouldRejectAStepCountThatIsNotAnInteger() {
        AdamOptimizer a = new AdamOptimizer(1, 0.01);
        float[] state = {0f, 0f, 0.5f, 3f};
        assertThatThrownBy(() -> a.importState(state, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.5");
    }
}
