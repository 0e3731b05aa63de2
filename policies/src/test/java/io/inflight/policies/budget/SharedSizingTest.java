package io.inflight.policies.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SharedSizingTest {

    @Test
    void shouldMoveHTowardsTheServedShareOneStepPerPassOutsideTheDeadBand() {
        // budget 100,000 bytes, rows of 100 bytes: a share s wants s x 1,000 rows
        assertThat(SharedSizing.nextRows(128, 0.5, 100_000, 100, 90_000)).as("wants 500").isEqualTo(256);
        assertThat(SharedSizing.nextRows(256, 0.35, 100_000, 100, 90_000)).as("350: within 1.5x of 256").isEqualTo(256);
        assertThat(SharedSizing.nextRows(512, 0.5, 100_000, 100, 90_000)).as("500: within 1.5x of 512").isEqualTo(512);
        assertThat(SharedSizing.nextRows(512, 0.3, 100_000, 100, 90_000)).as("wants 300").isEqualTo(256);
        assertThat(SharedSizing.nextRows(512, 0.0, 100_000, 100, 90_000)).as("at least 1/16: 62").isEqualTo(256);
        assertThat(SharedSizing.nextRows(64, 0.0, 100_000, 100, 90_000)).isEqualTo(64);
        assertThat(SharedSizing.nextRows(512, 1.0, 100_000, 100, 90_000)).as("at most 3/4: 750").isEqualTo(512);
        assertThat(SharedSizing.nextRows(256, 1.0, 100_000, 100, 40_000)).as("no room to double").isEqualTo(256);
        assertThat(SharedSizing.nextRows(512, 1.0, 100_000, 100, 40_000)).as("over the room: halve").isEqualTo(256);
        assertThat(SharedSizing.nextRows(128, Double.NaN, 100_000, 100, 90_000)).as("no traffic yet").isEqualTo(128);
        assertThatThrownBy(() -> SharedSizing.nextRows(100, 0.5, 100_000, 100, 90_000)).hasMessageContaining("power of two");
    }
}
