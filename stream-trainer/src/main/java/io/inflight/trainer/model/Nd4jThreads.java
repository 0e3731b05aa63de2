package io.inflight.trainer.model;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Pins ND4J to one thread (its own op threads and BLAS), in code, so that a model trains the same
 * bits wherever it runs: under the {@code ./inflight} launcher (which also sets
 * {@code OMP_NUM_THREADS=1}) or embedded in any JVM where the variable is unset and BLAS would
 * otherwise pick its thread count from the machine. One thread was also measured faster than two
 * on two cores, since the trainer's own threads keep the cores busy.
 */
final class Nd4jThreads {

    private static volatile boolean pinned;

    private Nd4jThreads() {
    }

    /** Idempotent; called before a model's first native matrix is made. */
    static void pin() {
        if (pinned) {
            return;
        }
        synchronized (Nd4jThreads.class) {
            if (!pinned) {
                Nd4j.getEnvironment().setMaxThreads(1);
                Nd4j.getEnvironment().setMaxMasterThreads(1);
                Nd4j.factory().blas().setMaxThreads(1);
                pinned = true;
            }
        }
    }

    /** BLAS's thread count now (for tests). */
    static int blasThreads() {
        return Nd4j.factory().blas().getMaxThreads();
    }
}
