package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.trainer.metrics.TrainerMeters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

class ThreadRestartsTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void shouldReplaceAtMostMaxThreadsWithinTheWindow() {
        AtomicLong now = new AtomicLong(5 * SECOND);
        ThreadRestarts r = new ThreadRestarts(2, 10 * SECOND, now::get);
        assertThat(r.replace()).isTrue();
        now.addAndGet(SECOND);
        assertThat(r.replace()).isTrue();
        assertThat(r.inWindow()).isEqualTo(2);
        now.addAndGet(8 * SECOND); // 9 s after the first: both still in the window
        assertThat(r.replace()).isFalse();
        now.addAndGet(SECOND); // 10 s after the first: it left the window
        assertThat(r.replace()).isTrue();
        assertThat(r.replace()).isFalse();
        now.addAndGet(20 * SECOND);
        assertThat(r.inWindow()).isEqualTo(2); // counted at the next failure, not before
        assertThat(r.replace()).isTrue();
        assertThat(r.inWindow()).isEqualTo(1);
    }

    @Test
    void shouldStopAtTheFirstFailureWithoutRestarts() {
        ThreadRestarts r = new ThreadRestarts(0, SECOND, () -> 0L);
        assertThat(r.replace()).isFalse();
        assertThatThrownBy(() -> new ThreadRestarts(-1, SECOND, () -> 0L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ThreadRestarts(1, 0, () -> 0L)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldCountReplacementsAndReportOnlyTheFailureThatStops() {
        TrainerMeters meters = TrainerMeters.on(new SimpleMeterRegistry());
        List<Throwable> fatal = new ArrayList<>();
        ThreadRestarts r = new ThreadRestarts(1, 60 * SECOND, () -> 0L);
        KafkaException first = new KafkaException("first");
        KafkaException second = new KafkaException("second");
        assertThat(TrainerApp.onThreadFailure(first, r, meters, fatal::add))
                .isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(fatal).isEmpty();
        assertThat(meters.threadsReplaced()).isEqualTo(1);
        assertThat(TrainerApp.onThreadFailure(second, r, meters, fatal::add))
                .isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
        assertThat(fatal).containsExactly(second);
        assertThat(meters.threadsReplaced()).isEqualTo(1);
    }
}
