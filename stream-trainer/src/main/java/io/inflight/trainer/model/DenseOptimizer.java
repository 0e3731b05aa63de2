package io.inflight.trainer.model;

import java.util.Locale;

/**
 * Optimizer of a model's flat dense parameter vector. Lifecycle: created for a parameter count,
 * then {@link #step} once per mini-batch; {@link #exportState}/{@link #importState} move its state
 * ({@link #stateSize()} floats, bit-exact) for commits and restores. Not thread-safe.
 */
interface DenseOptimizer {

    /** Floats of optimizer state. */
    int stateSize();

    /** One update of {@code params[0..n)} along {@code grads[0..n)} (L2 already added). */
    void step(float[] params, float[] grads);

    void exportState(float[] dst, int offset);

    void importState(float[] src, int offset);

    /** Builds adam or adagrad for {@code size} parameters. */
    static DenseOptimizer create(String name, int size, double learningRate) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "adam" -> new AdamOptimizer(size, learningRate);
            case "adagrad" -> new AdagradOptimizer(size, learningRate);
            default -> throw new IllegalArgumentException("optimizer must be adam or adagrad, got " + name);
        };
    }
}
