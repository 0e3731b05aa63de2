package io.inflight.ops.train;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * How many failed Streams threads an instance replaces before it stops: at most {@code max} within
 * any {@code windowNanos}. A thread fails on what a record cannot cause (those are dead-lettered):
 * a broker or transaction error, a state store, the disk. Replacing it aborts its open transaction
 * and its tasks resume from their last commit, so a passing fault costs a restore, not the trainer;
 * a fault that keeps coming back uses up the allowance and stops the instance, as before.
 */
final class ThreadRestarts {

    private final int max;
    private final long windowNanos;
    private final LongSupplier clock;
    /** When the replacements within the window happened. */
    private final Deque<Long> recent = new ArrayDeque<>();

    /**
     * @param max         replacements allowed within a window (0: none, the first failure stops)
     * @param windowNanos the window's length
     * @param clock       monotonic nanoseconds ({@code System::nanoTime})
     */
    ThreadRestarts(int max, long windowNanos, LongSupplier clock) {
        if (max < 0 || windowNanos <= 0) {
            throw new IllegalArgumentException("max " + max + " and window " + windowNanos + " ns must be >= 0 and > 0");
        }
        this.max = max;
        this.windowNanos = windowNanos;
        this.clock = clock;
    }

    /** Whether the thread that failed now is replaced (and counted), or the instance stops. */
    synchronized boolean replace() {
        long now = clock.getAsLong();
        while (!recent.isEmpty() && now - recent.peekFirst() >= windowNanos) {
            recent.pollFirst();
        }
        if (recent.size() >= max) {
            return false;
        }
        recent.addLast(now);
        return true;
    }

    /** Replacements within the window now (the last {@link #replace} calls that returned true). */
    synchronized int inWindow() {
        return recent.size();
    }

    /** The replacements allowed within a window. */
    int max() {
        return max;
    }

    /** The window, in seconds. */
    double windowSeconds() {
        return windowNanos / 1e9;
    }
}
