package io.inflight.policies.adaembed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdmissionSketchTest {

    @Test
    void shouldAdmitAtTheNthOccurrence() {
        AdmissionSketch s = new AdmissionSketch(3, 1 << 12, 4, 0, 7);
        for (long key = 0; key < 200; key++) {
            assertThat(s.admit(key)).isFalse();
            assertThat(s.admit(key)).isFalse();
            assertThat(s.admit(key)).as("key %d at its third occurrence", key).isTrue();
            assertThat(s.admit(key)).isTrue();
        }
        assertThat(s.admissions()).isEqualTo(200);
    }

    @Test
    void shouldStayBoundedAndNeverUnderCountUnderManyKeys() {
        AdmissionSketch s = new AdmissionSketch(5, 1 << 10, 4, 0, 7);
        long memory = s.memoryBytes();
        assertThat(memory).isEqualTo(4L * 4 * 1024);
        for (long key = 0; key < 200_000; key++) {
            s.admit(key);
        }
        for (int i = 0; i < 4; i++) {
            s.admit(-1);
        }
        assertThat(s.estimate(-1)).isGreaterThanOrEqualTo(4);
        assertThat(s.memoryBytes()).isEqualTo(memory);
        // 200k keys in 1024 counters per row: collisions admit many keys early, as count-min may.
        assertThat(s.admissions()).isPositive();
    }

    @Test
    void shouldAgeCountsSoOldOccurrencesFade() {
        AdmissionSketch s = new AdmissionSketch(4, 1 << 12, 4, 100, 7);
        s.admit(42);
        s.admit(42);
        s.admit(42);
        for (long key = 1000; key < 1300; key++) {
            s.admit(key); // three halvings happen in between
        }
        assertThat(s.admit(42)).isFalse();
        assertThat(s.estimate(42)).isLessThan(4);
    }

    @Test
    void shouldAdmitEverythingAtThresholdOneAndRejectBadSizes() {
        AdmissionSketch s = new AdmissionSketch(1, 16, 1, 0, 7);
        assertThat(s.admit(5)).isTrue();
        assertThatThrownBy(() -> new AdmissionSketch(2, 100, 4, 0, 1)).hasMessageContaining("100");
    }
}
