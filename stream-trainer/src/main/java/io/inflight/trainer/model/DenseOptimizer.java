package io.inflight.trainer.model;

import java.util.Locale;

/**
 * Optimizer of a model's flat dense parameter vector. Lifecycle: created for a parameter count,
 * then once per mini-batch {@link #step}, or {@link #begin} and {@link #update}/{@link #updateWithL2}
 * over consecutive ranges that cover the vector once; {@link #exportState}/{@link #importState} move its state
 * ({@link #stateSize()} floats, bit-exact) for commits and restores. Not thread-safe.
 */
interface DenseOptimizer {

    /** Floats of optimizer state. */
    int stateSize();

    /** One update of {@code params[0..n)} along {@code grads[0..n)} (L2 already added). */
    default void step(float[] params, float[] grads) {
        begin();
        update(params, grads, 0, params.length);
    }

    /** Starts a step (advances the step count); then update every parameter once. */
    void begin();

    /** The started step's update of {@code params[from..to)} along {@code grads[from..to)}. */
    void update(float[] params, float[] grads, int from, int to);

    /**
     * As {@link #update}, along {@code grads[i] + l2·params[i]} (in float, the same bits as adding
     * L2 to the gradients first), leaving {@code grads} unchanged.
     */
    void updateWithL2(float[] params, float[] grads, int from, int to, float l2);

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
