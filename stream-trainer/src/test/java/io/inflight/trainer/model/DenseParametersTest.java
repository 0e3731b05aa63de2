package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DenseParametersTest {

    @Test
    void shouldBoundEveryMagnitudeByTheLargestExponent() {
        assertThat(DenseParameters.maxExponent(new float[] {1f, -0.5f}, 0, 2)).isEqualTo(127);
        assertThat(DenseParameters.maxExponent(new float[] {0f, Float.MIN_VALUE}, 0, 2)).isZero();
        assertThat(DenseParameters.maxExponent(new float[] {1f, Float.NaN}, 0, 2)).isEqualTo(DenseParameters.MAX_EXPONENT);
        assertThat(DenseParameters.maxExponent(new float[] {Float.NEGATIVE_INFINITY}, 0, 1))
                .isEqualTo(DenseParameters.MAX_EXPONENT);
        // the range is honoured: the NaN outside it is not read
        assertThat(DenseParameters.maxExponent(new float[] {Float.NaN, 3f, 0.25f, Float.NaN}, 1, 3)).isEqualTo(128);
        float[] random = draw(1000, 1, 1e3);
        int e = DenseParameters.maxExponent(random, 0, random.length);
        for (float v : random) {
            assertThat((double) Math.abs(v)).isLessThan(Math.scalb(1.0, e - 126));
        }
        assertThat(DenseParameters.allFinite(random, 0, random.length)).isTrue();
        random[999] = Float.POSITIVE_INFINITY;
        assertThat(DenseParameters.allFinite(random, 0, random.length)).isFalse();
        assertThat(DenseParameters.allFinite(random, 0, 999)).isTrue();
    }

    /**
     * At the largest exponents it accepts, the worst product (every term at its bound, same sign) is
     * still finite; one exponent more is not accepted (and over 2k rows that product overflows).
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 32, 256, 1000})
    void shouldShowAProductFiniteExactlyUpToItsBound(int k) {
        int log2k = 32 - Integer.numberOfLeadingZeros(k - 1);
        int ea = 200;
        int eb = 379 - ea - log2k; // ea + eb - 252 + log2k == 127
        assertThat(DenseParameters.productFinite(ea, eb, k)).isTrue();
        float a = Math.nextDown((float) Math.scalb(1.0, ea - 126));
        float b = Math.nextDown((float) Math.scalb(1.0, eb - 126));
        assertThat(DenseParameters.maxExponent(new float[] {a}, 0, 1)).isEqualTo(ea);
        assertThat(DenseParameters.maxExponent(new float[] {b}, 0, 1)).isEqualTo(eb);
        assertThat(Float.isFinite(floatDot(a, b, k))).isTrue();

        assertThat(DenseParameters.productFinite(ea + 1, eb, k)).isFalse();
        assertThat(DenseParameters.productFinite(ea, eb + 1, k)).isFalse();
        float twice = Math.nextDown((float) Math.scalb(1.0, ea + 1 - 126));
        if (k == Integer.highestOneBit(k)) { // k a power of two: the bound is tight
            assertThat(Float.isFinite(floatDot(twice, b, 2 * k))).isFalse();
        }
    }

    @Test
    void shouldNotShowAProductOfANonFiniteFactorOrOfNoRows() {
        assertThat(DenseParameters.productFinite(DenseParameters.MAX_EXPONENT, 0, 4)).isFalse();
        assertThat(DenseParameters.productFinite(0, DenseParameters.MAX_EXPONENT, 4)).isFalse();
        assertThat(DenseParameters.productFinite(127, 127, 0)).isFalse();
        assertThat(DenseParameters.productFinite(127, 127, (1 << 20) + 1)).isFalse();
        assertThat(DenseParameters.productFinite(127, 127, 1 << 20)).isTrue();
    }

    /** L2 added inside the optimizer's loop gives the bits of adding it to the gradients first. */
    @ParameterizedTest
    @ValueSource(strings = {"adam", "adagrad"})
    void shouldStepWithL2BitForBitAsTheTwoPassStep(String optimizer) {
        DenseParameters.Layout layout = new DenseParameters.Layout();
        layout.biases(3);
        int w1 = layout.weights(50, 0.1);
        layout.biases(7);
        int w2 = layout.weights(40, 0.2);
        int w3 = layout.weights(9, 0.3);
        layout.biases(1);
        double l2 = 1e-3;
        DenseParameters fused = new DenseParameters(layout, 5, 77, l2, optimizer, 0.01);
        float[] values = fused.values().clone();
        DenseOptimizer reference = DenseOptimizer.create(optimizer, layout.size(), 0.01);
        for (int step = 0; step < 5; step++) {
            float[] g = draw(layout.size(), 10 + step, 0.1);
            g[4] = -0f;
            System.arraycopy(g, 0, fused.grads(), 0, g.length);
            fused.step();
            assertThat(fused.grads()).as("the loss gradient is left as it was").containsExactly(g);
            float c = (float) l2;
            for (int[] block : new int[][] {{w1, 50}, {w2, 40}, {w3, 9}}) {
                for (int i = block[0]; i < block[0] + block[1]; i++) {
                    g[i] += c * values[i];
                }
            }
            reference.step(values, g);
            assertThat(bits(fused.values())).isEqualTo(bits(values));
        }
        float[] state = new float[fused.denseSize()];
        fused.exportDense(state);
        float[] refState = new float[reference.stateSize()];
        reference.exportState(refState, 0);
        assertThat(bits(Arrays.copyOfRange(state, layout.size(), state.length))).isEqualTo(bits(refState));
    }

    private static float floatDot(float a, float b, int k) {
        float s = 0f;
        for (int i = 0; i < k; i++) {
            s += a * b;
        }
        return s;
    }

    private static float[] draw(int n, long key, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (scale * SplitMix64.gaussian(3, key, i));
        }
        return a;
    }

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Float.floatToRawIntBits(a[i]);
        }
        return out;
    }
}
