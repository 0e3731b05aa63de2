package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

    private static ProgressiveMetrics.Summary at(long events) {
        return new ProgressiveMetrics.Summary(events, 0, 0.75, 0.5, 0.9, 1.0, 0.001, 0.2);
    }

    @Test
    void shouldCountTheRateFromTheBaselineNotFromZero() {
        long s = 1_000_000_000L;
        ProgressLine restarted = new ProgressLine(0);
        restarted.baseline(60_000, s); // restored from the stores of an earlier run
        assertThat(restarted.line(at(62_000), 2 * s)).contains("events 62,000").contains(" 2,000 ev/s");
        assertThat(restarted.line(at(65_000), 3 * s)).contains(" 3,000 ev/s");

        ProgressLine fresh = new ProgressLine(0);
        assertThat(fresh.line(at(62_000), 2 * s)).contains(" 31,000 ev/s");
    }

    @Test
    void shouldSayItWaitsForTheFirstBatchInsteadOfAnAucOfNothing() {
        ProgressLine p = new ProgressLine(0);
        String line = p.waiting(new ProgressiveMetrics.Summary(0, 3, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0),
                5_000_000_000L);
        assertThat(line).isEqualTo("[   5.0s] waiting for the first batch  dead-lettered 3");
        assertThat(line).doesNotContain("NaN");
    }
}
