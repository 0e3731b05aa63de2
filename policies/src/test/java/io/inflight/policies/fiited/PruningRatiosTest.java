package io.inflight.policies.fiited;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PruningRatiosTest {

    @Test
    void shouldFitMeanToTargetWithIncreasingRatios() {
        double[] p = PruningRatios.powerLaw(4, 0.5, 0.5);
        assertThat(PruningRatios.mean(p)).isCloseTo(0.5, within(1e-12));
        for (int i = 1; i < p.length; i++) {
            assertThat(p[i]).isGreaterThan(p[i - 1]);
        }
        // p_k proportional to sqrt((k + 0.5) / K)
        assertThat(p[3] / p[0]).isCloseTo(Math.sqrt(3.5 / 0.5), within(1e-9));
    }

    @Test
    void shouldCapAtNinetyFivePercentAndRefitTheRest() {
        double[] p = PruningRatios.powerLaw(4, 0.8, 1);
        // Uncapped, c = 0.8 / 0.5 = 1.6 and p_3 = 1.4: capped, the rest re-fitted.
        assertThat(p[3]).isEqualTo(PruningRatios.CAP);
        assertThat(PruningRatios.mean(p)).isCloseTo(0.8, within(1e-12));
        for (double v : p) {
            assertThat(v).isLessThanOrEqualTo(PruningRatios.CAP);
        }
        // Fixed point of mean(min(0.95, c * x_k)) = 0.8: c = 2.8, so p = [0.35, 0.95, 0.95, 0.95].
        assertThat(p[0]).isCloseTo(0.35, within(1e-12));
        assertThat(p[1]).isEqualTo(PruningRatios.CAP);
    }

    @Test
    void shouldRejectTargetAboveCap() {
        assertThatThrownBy(() -> PruningRatios.powerLaw(4, 0.97, 1))
                .hasMessageContaining("0.97");
    }
}
