package io.inflight.trainer.metrics;

import io.inflight.topics.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The trainer's meters, registered once per registry. Names are dotted lowercase; the only tag is
 * the bounded {@code reason} of a dead-lettered record. Thread-safe (Micrometer counters).
 *
 * <ul>
 *   <li>{@code inflight.trainer.events}: events scored and learned from;</li>
 *   <li>{@code inflight.trainer.rejected{reason}}: records sent to the dead-letter topic;</li>
 *   <li>{@code inflight.trainer.nonfinite}: updates skipped because they were not finite;</li>
 *   <li>{@code inflight.trainer.checkpoint}: time spent writing checkpoints (mini-batch trainer).</li>
 * </ul>
 */
public final class TrainerMeters implements MeterBinder {

    public static final String EVENTS = "inflight.trainer.events";
    public static final String REJECTED = "inflight.trainer.rejected";
    public static final String NON_FINITE = "inflight.trainer.nonfinite";
    public static final String CHECKPOINT = "inflight.trainer.checkpoint";

    private Counter events;
    private Counter nonFinite;
    private Timer checkpoints;
    private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);

    /** Meters bound to {@code registry}. */
    public static TrainerMeters on(MeterRegistry registry) {
        TrainerMeters m = new TrainerMeters();
        m.bindTo(registry);
        return m;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        events = Counter.builder(EVENTS).description("Events scored and learned from").baseUnit("events").register(registry);
        nonFinite = Counter.builder(NON_FINITE).description("Updates skipped because a value was not finite")
                .register(registry);
        checkpoints = Timer.builder(CHECKPOINT).description("Checkpoints written: rows, dense parameters, metrics")
                .register(registry);
        for (RejectReason r : RejectReason.values()) {
            rejected.put(r, Counter.builder(REJECTED).description("Records sent to the dead-letter topic")
                    .tag("reason", r.code()).baseUnit("records").register(registry));
        }
    }

    public void event() {
        events.increment();
    }

    public void rejected(RejectReason reason) {
        rejected.get(reason).increment();
    }

    public void nonFinite() {
        nonFinite.increment();
    }

    public void checkpoint(long nanos) {
        checkpoints.record(nanos, TimeUnit.NANOSECONDS);
    }
}
