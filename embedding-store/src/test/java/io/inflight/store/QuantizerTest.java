package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.Precision;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class QuantizerTest {

    private static float[] randomChunk(int n, long seed, float scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void shouldRoundTripWithinOneQuantizationStep(Precision p) {
        int w = 16;
        byte[] slot = new byte[Quantizer.slotBytes(w, p)];
        float[] back = new float[w];
        for (long trial = 0; trial < 200; trial++) {
            float[] x = randomChunk(w, trial, 0.3f);
            float scale = Quantizer.encode(x, 0, w, p, slot, 0, trial, 0);
            Quantizer.decode(slot, 0, w, p, scale, back, 0);
            float maxAbs = 0f;
            for (float v : x) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            for (int i = 0; i < w; i++) {
                float bound = switch (p) {
                    case FP32 -> 0f;
                    case FP16 -> Math.abs(x[i]) * 0x1p-10f + 0x1p-24f;  // one ulp of binary16
                    case BF16 -> Math.abs(x[i]) * 0x1p-7f;              // one ulp of bfloat16
                    default -> maxAbs / Quantizer.qmax(p) * 1.0001f;    // one step α
                };
                assertThat(Math.abs(back[i] - x[i])).as("%s value %d", p, i).isLessThanOrEqualTo(bound);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void shouldRoundStochasticallyWithoutBias(Precision p) {
        // A chunk whose largest value fixes the scale, and a value between two codes.
        int w = 4;
        float[] x = {1.0f, 0.3337f, -0.0713f, 0.9017f};
        byte[] slot = new byte[Quantizer.slotBytes(w, p)];
        float[] back = new float[w];
        double[] sum = new double[w];
        int n = 40_000;
        for (int t = 0; t < n; t++) {
            float scale = Quantizer.encode(x, 0, w, p, slot, 0, CounterRng.bits(7, 99, t), 0);
            Quantizer.decode(slot, 0, w, p, scale, back, 0);
            for (int i = 0; i < w; i++) {
                sum[i] += back[i];
            }
        }
        for (int i = 0; i < w; i++) {
            double step = p.quantized() ? 1.0 / Quantizer.qmax(p) : p == Precision.BF16 ? 0x1p-8 : 0x1p-10; // code spacing near these values
            // standard error of the mean of a two-point variable is at most step / (2 sqrt(n))
            assertThat(sum[i] / n).as("%s mean of value %d", p, i).isCloseTo(x[i], within(5 * step / (2 * Math.sqrt(n)) + 1e-7));
        }
    }

    @Test
    void shouldConvertHalfPrecisionExactlyForRepresentableValues() {
        for (int h = 0; h < 0x7c00; h++) {
            float f = Quantizer.halfToFloat(h);
            assertThat(Quantizer.halfTowardZero(f)).isEqualTo(h);
            assertThat(Quantizer.halfStochastic(f, 0.999f)).isEqualTo(h);
            assertThat(Quantizer.halfTowardZero(-f)).isEqualTo(h | 0x8000);
        }
        assertThat(Quantizer.halfToFloat(Quantizer.halfStochastic(1e9f, 0.5f))).isEqualTo(65504f);
    }

    @Test
    void shouldRoundAHalfCeilingUpToTheNextBinary16() {
        for (int h = 0; h < 0x7bff; h++) {
            float f = Quantizer.halfToFloat(h);
            float next = Quantizer.halfToFloat(h + 1);
            assertThat(Quantizer.halfCeil(f)).as("representable: itself").isEqualTo(h);
            assertThat(Quantizer.halfCeil(Math.nextUp(f))).as("just above: the next").isEqualTo(h + 1);
            assertThat(Quantizer.halfCeil(Math.nextDown(next))).isEqualTo(h + 1);
        }
        assertThat(Quantizer.halfCeil(1e9f)).as("saturating").isEqualTo(0x7bff);
    }

    @Test
    void shouldPackNegativeFourAndTwoBitCodes() {
        float[] x = {-1f, 1f, -0.5f, 0.5f, 0f, -1f, 1f, 0f};
        for (Precision p : new Precision[] {Precision.INT4, Precision.INT2}) {
            byte[] slot = new byte[Quantizer.slotBytes(x.length, p)];
            float[] back = new float[x.length];
            float scale = Quantizer.encode(x, 0, x.length, p, slot, 0, 1, 0);
            Quantizer.decode(slot, 0, x.length, p, scale, back, 0);
            assertThat(back[0]).isEqualTo(-1f);
            assertThat(back[1]).isEqualTo(1f);
            assertThat(back[5]).isEqualTo(-1f);
            assertThat(back[4]).isZero();
        }
    }

    @Test
    void shouldStoreAllZeroChunkAsZeroScale() {
        byte[] slot = new byte[Quantizer.slotBytes(8, Precision.INT8)];
        float[] back = new float[8];
        float scale = Quantizer.encode(new float[8], 0, 8, Precision.INT8, slot, 0, 3, 0);
        Quantizer.decode(slot, 0, 8, Precision.INT8, scale, back, 0);
        assertThat(scale).isZero();
        assertThat(back).containsOnly(0f);
    }
}
