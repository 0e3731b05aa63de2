package io.inflight.ops.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (SIGINT/SIGTERM) into a request the main thread sees, and keeps the JVM alive until
 * the main thread has closed everything (at most 60 s), so a stop is always clean.
 *
 * <p>A JVM stopped by a signal exits with 128 + the signal's number (143 for SIGTERM) whatever the
 * main thread returns. A command for which a signal is an ordinary end (a scheduler's SIGTERM)
 * calls {@link #succeeded} once it has closed everything and printed its summary: the hook then
 * ends the JVM with 0 instead.
 */
final class Shutdown implements AutoCloseable {

    private final CountDownLatch requested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean succeeded;

    Shutdown() {
        hook = new Thread(() -> {
            requested.countDown();
            try {
                if (finished.await(60, TimeUnit.SECONDS) && succeeded) {
                    System.out.flush();
                    System.err.flush();
                    Runtime.getRuntime().halt(0); // everything is closed: the stop was clean
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "inflight-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Waits up to {@code millis}; true when a stop was requested. */
    boolean awaitRequest(long millis) throws InterruptedException {
        return requested.await(millis, TimeUnit.MILLISECONDS);
    }

    boolean requested() {
        return requested.getCount() == 0;
    }

    /** The command stopped cleanly (called before {@link #close}): a signal that stopped it ends the JVM with 0. */
    void succeeded() {
        succeeded = true;
    }

    /** Signals that cleanup is done; removes the hook when the JVM is not already stopping. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException stopping) {
            // The JVM is already shutting down: the hook is running and will now return.
        }
    }
}
