package io.inflight.trainer.model;

import io.inflight.policies.util.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The dense parameters of a model as one flat float vector with its gradient and optimizer, laid
 * out in blocks (weight matrices, which get L2 and a random start, and biases, which start at
 * zero and get no L2). Dense state for commits is {@code [parameters | optimizer state]}.
 *
 * <p>Lifecycle: declare blocks with {@link Layout}, build, then per batch fill {@link #grads()},
 * check {@link #gradientsFinite()} and {@link #step()}. Not thread-safe.
 */
final class DenseParameters {

    /** Declares the blocks of a parameter vector; offsets are handed out in declaration order. */
    static final class Layout {
        private final List<WeightBlock> weights = new ArrayList<>();
        private int size;

        /**
         * A weight block of {@code n} values drawn from N(0, stddev²) keyed by its block number.
         *
         * @return its offset
         */
        int weights(int n, double stddev) {
            int offset = size;
            weights.add(new WeightBlock(offset, n, stddev));
            size += n;
            return offset;
        }

        /** A bias block of {@code n} zeros; returns its offset. */
        int biases(int n) {
            int offset = size;
            size += n;
            return offset;
        }

        int size() {
            return size;
        }
    }

    private final float[] values;
    private final float[] grads;
    private static final int EXPONENT_MASK = 0x7F800000;

    private record WeightBlock(int offset, int length, double stddev) {
    }

    private final WeightBlock[] weightBlocks;
    private final double l2;
    private final DenseOptimizer optimizer;

    /**
     * Builds the vector of {@code layout}, weights drawn from {@link SplitMix64} with key
     * {@code seedKeyBase + block number}, so equal seeds give equal bits.
     */
    DenseParameters(Layout layout, long seed, long seedKeyBase, double l2, String optimizer, double learningRate) {
        this.values = new float[layout.size];
        this.grads = new float[layout.size];
        this.weightBlocks = layout.weights.toArray(new WeightBlock[0]);
        this.l2 = l2;
        this.optimizer = DenseOptimizer.create(optimizer, layout.size, learningRate);
        for (int k = 0; k < weightBlocks.length; k++) {
            WeightBlock block = weightBlocks[k];
            for (int i = 0; i < block.length(); i++) {
                values[block.offset() + i] = (float) (block.stddev() * SplitMix64.gaussian(seed, seedKeyBase + k, i));
            }
        }
    }

    /** Current parameters; read-only outside this class except through {@link #importDense}. */
    float[] values() {
        return values;
    }

    /** Gradient scratch the model fills before {@link #step()}. */
    float[] grads() {
        return grads;
    }

    int size() {
        return values.length;
    }

    boolean gradientsFinite() {
        return allFinite(grads, grads.length);
    }

    /** Whether {@code a[0..n)} are all finite (an exponent check the JIT vectorises). */
    static boolean allFinite(float[] a, int n) {
        int maxExponent = 0;
        for (int i = 0; i < n; i++) {
            maxExponent = Math.max(maxExponent, Float.floatToRawIntBits(a[i]) & EXPONENT_MASK);
        }
        return maxExponent != EXPONENT_MASK;
    }

    /** Adds L2 to the weight gradients and takes one optimizer step. */
    void step() {
        if (l2 != 0) {
            float c = (float) l2;
            for (WeightBlock block : weightBlocks) {
                for (int i = block.offset(); i < block.offset() + block.length(); i++) {
                    grads[i] += c * values[i];
                }
            }
        }
        optimizer.step(values, grads);
    }

    int denseSize() {
        return values.length + optimizer.stateSize();
    }

    void exportDense(float[] dst) {
        checkLength(dst.length);
        System.arraycopy(values, 0, dst, 0, values.length);
        optimizer.exportState(dst, values.length);
    }

    void importDense(float[] src) {
        checkLength(src.length);
        optimizer.importState(src, values.length);
        System.arraycopy(src, 0, values, 0, values.length);
        Arrays.fill(grads, 0f);
    }

    private void checkLength(int length) {
        if (length < denseSize()) {
            throw new IllegalArgumentException("dense state needs " + denseSize() + " floats, got an array of " + length);
        }
    }
}
