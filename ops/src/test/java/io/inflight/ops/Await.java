package io.inflight.ops;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The one wait loop of the integration tests: poll until there is an answer, fail at once when the
 * run under test died, fail naming what was awaited after a timeout.
 */
public final class Await {

    /** A poll: the answer, or null while there is none yet. */
    @FunctionalInterface
    public interface Probe<T> {
        T poll() throws Exception;
    }

    /** An assertion that the run under test is still alive (it throws when not). */
    @FunctionalInterface
    public interface Alive {
        void check() throws Exception;
    }

    private Await() {
    }

    /**
     * Polls {@code probe} every {@code every} until it answers; after each empty poll runs
     * {@code alive}.
     *
     * @param what what is awaited, asked for the failure message after {@code timeout}
     * @return the first non-null answer
     * @throws AssertionError after {@code timeout} without an answer
     */
    public static <T> T until(Duration timeout, Duration every, Supplier<String> what, Alive alive, Probe<T> probe)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T answer = probe.poll();
            if (answer != null) {
                return answer;
            }
            alive.check();
            if (System.nanoTime() >= deadline) {
                throw new AssertionError(what.get() + " within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(every.toMillis());
        }
    }
}
