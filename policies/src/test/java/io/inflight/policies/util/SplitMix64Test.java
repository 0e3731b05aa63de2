package io.inflight.policies.util;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Known answers: stored models, checkpoints and the demo's hash depend on these exact sequences
 * (the values were taken from the generators this class replaced, before they were removed).
 */
class SplitMix64Test {

    @Test
    void shouldKeepTheBitsUniformAndGaussianSequencesOfTheModelsAndTheGenerator() {
        assertThat(SplitMix64.bits(7, 42, 3)).isEqualTo(0xedbc8c1c5e46e10aL);
        assertThat(SplitMix64.uniform(7, 42, 3)).isEqualTo(0.9286582535990209);
        assertThat(SplitMix64.gaussian(7, 42, 3)).isEqualTo(-0.9453177953466873);
        assertThat(SplitMix64.bits(-1, Long.MIN_VALUE, 123456789L)).isEqualTo(0x922c687b988e26f3L);
        long h = 0;
        long g = 0;
        for (long s = 0; s < 4; s++) {
            for (long k = -5; k <= 5; k++) {
                for (long c = 0; c < 100; c++) {
                    h = h * 31 + SplitMix64.bits(s * 1_000_003L, k, c);
                    g = g * 31 + Double.doubleToLongBits(SplitMix64.gaussian(s, k, c));
                }
            }
        }
        assertThat(h).isEqualTo(0xbbcc1d7824c5ecedL);
        assertThat(g).isEqualTo(0xf87b5d964703eb95L);
    }

    @Test
    void shouldDrawUniformsInTheUnitInterval() {
        for (long c = 0; c < 10_000; c++) {
            assertThat(SplitMix64.uniform(3, 5, c)).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
        }
    }
}
