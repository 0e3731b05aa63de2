package io.inflight.ops.replay;

/**
 * When the next event may be sent: at full speed, at a fixed rate, or at a multiple of real time
 * (event-time gaps divided by the speed-up). Pure arithmetic on the times it is given, so it can be
 * tested without a clock; the caller sleeps.
 */
public sealed interface Pacer permits Pacer.FullSpeed, Pacer.Rate, Pacer.Speedup {

    /**
     * Nanoseconds to wait before sending event number {@code index} (0-based) whose event time is
     * {@code eventTimeMs}, given the replay started at {@code startNanos} with first event time
     * {@code firstEventTimeMs} and the clock now reads {@code nowNanos}; 0 or less means send now.
     */
    long waitNanos(long index, long eventTimeMs, long firstEventTimeMs, long startNanos, long nowNanos);

    /** No waiting. */
    record FullSpeed() implements Pacer {
        @Override
        public long waitNanos(long index, long eventTimeMs, long firstEventTimeMs, long startNanos, long nowNanos) {
            return 0;
        }
    }

    /** {@code eventsPerSecond} on average since the start (so a slow moment is caught up, not lost). */
    record Rate(double eventsPerSecond) implements Pacer {
        public Rate {
            requirePositive(eventsPerSecond, "--rate must be a positive number of events/s");
        }

        @Override
        public long waitNanos(long index, long eventTimeMs, long firstEventTimeMs, long startNanos, long nowNanos) {
            return startNanos + (long) (index * 1e9 / eventsPerSecond) - nowNanos;
        }
    }

    /** Event-time gaps divided by {@code factor}: 1 is real time, 60 is an hour per minute. */
    record Speedup(double factor) implements Pacer {
        public Speedup {
            requirePositive(factor, "--speedup must be a positive factor");
        }

        @Override
        public long waitNanos(long index, long eventTimeMs, long firstEventTimeMs, long startNanos, long nowNanos) {
            return startNanos + (long) ((eventTimeMs - firstEventTimeMs) * 1e6 / factor) - nowNanos;
        }
    }

    /** Throws naming {@code what} unless {@code x} is positive and finite. */
    private static void requirePositive(double x, String what) {
        if (!(x > 0) || Double.isInfinite(x)) {
            throw new IllegalArgumentException(what + ", got " + x);
        }
    }
}
