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
 * check that they are finite ({@link #allFinite}, or for a block that is a matrix product
 * {@link #productFinite} of its factors' {@link #maxExponent}) and {@link #step()}. Not thread-safe.
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
    private static final int EXPONENT_SHIFT = 23;
    /** The exponent field of infinities and NaN. */
    static final int MAX_EXPONENT = 0xFF;
    private static final int MAX_PRODUCT_ROWS = 1 << 20;

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

    /** Whether {@code a[0..n)} are all finite. */
    static boolean allFinite(float[] a, int n) {
        return allFinite(a, 0, n);
    }

    /** Whether {@code a[from..to)} are all finite. */
    static boolean allFinite(float[] a, int from, int to) {
        return maxExponent(a, from, to) != MAX_EXPONENT;
    }

    /**
     * The largest biased exponent field of {@code a[from..to)}: {@value #MAX_EXPONENT} when one is
     * infinite or NaN, otherwise every {@code |a_i| < 2^(e - 126)} (subnormals included).
     */
    static int maxExponent(float[] a, int from, int to) {
        int max = 0;
        for (int i = from; i < to; i++) {
            max = Math.max(max, Float.floatToRawIntBits(a[i]) & EXPONENT_MASK);
        }
        return max >>> EXPONENT_SHIFT;
    }

    /**
     * Whether every entry of a float product {@code Aᵀ·B} over {@code k} rows is finite, knowing only
     * the {@link #maxExponent}s of {@code A} and {@code B}: each term is below
     * {@code 2^(ea-126)·2^(eb-126)}, so with {@code k·2^(ea+eb-252) <= 2^127} every rounded partial
     * sum, in any order, stays below {@code 2^127·(1+2^-24)^(k+1) < Float.MAX_VALUE} (k <= 2^20).
     * False means "not shown", not "infinite": check the product itself then.
     */
    static boolean productFinite(int ea, int eb, int k) {
        if (ea >= MAX_EXPONENT || eb >= MAX_EXPONENT || k < 1 || k > MAX_PRODUCT_ROWS) {
            return false;
        }
        int log2k = 32 - Integer.numberOfLeadingZeros(k - 1); // ceil(log2 k)
        return ea + eb - 252 + log2k <= 127;
    }

    /**
     * Takes one optimizer step along the gradients plus L2 on the weight blocks (added inside the
     * optimizer's loop, {@code g + l2·p} in float as before, so that the gradients are read once).
     * {@link #grads()} keeps the loss gradient without L2.
     */
    void step() {
        optimizer.begin();
        if (l2 == 0) {
            optimizer.update(values, grads, 0, values.length);
            return;
        }
        float c = (float) l2;
        int at = 0;
        for (WeightBlock block : weightBlocks) {
            optimizer.update(values, grads, at, block.offset());
            at = block.offset() + block.length();
            optimizer.updateWithL2(values, grads, block.offset(), at, c);
        }
        optimizer.update(values, grads, at, values.length);
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
