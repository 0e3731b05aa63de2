package io.inflight.trainer.model;

import io.inflight.policies.util.SplitMix64;

/**
 * The MLP tower of the deep models: hidden layers {@code h_{l+1} = act(h_l·W_l + b_l)} over a
 * batch held row-major, with {@code W_l} stored {@code [in × out]} in the model's
 * {@link DenseParameters} and mirrored into native memory for BLAS. The matrix products run as
 * sgemm into buffers allocated once at batch capacity; biases, activations and their derivatives
 * run in plain Java on float arrays, moved to and from native memory in bulk.
 *
 * <p>Per batch: {@link #forward} (the input matrix already filled by the model), then
 * {@link #backward} with the gradient of the last hidden layer, {@link #gradientsFinite} on the
 * gradients it wrote, then, after the optimizer step, {@link #syncWeights()}. Not thread-safe.
 *
 * <p>Dropout (inverted): a training forward keeps each hidden unit with probability {@code 1 - p}
 * and scales it by {@code 1 / (1 - p)}; the draws come from {@link SplitMix64} keyed by the
 * seed, the caller's training-step counter, the layer and the unit, so a replay draws the same
 * masks. An evaluation forward uses every unit unscaled.
 */
final class Mlp implements AutoCloseable {

    private final int layers;
    private final int[] sizes;
    private final Activation activation;
    private final int[] weightOffset;
    private final int[] biasOffset;
    /** in[l]: input of layer l (in[0] is the model's input); reused for dA_l in backward (l ≥ 1). */
    private final NativeMatrix[] in;
    /** z[l]: pre-activation of layer l, reused for its delta in backward. */
    private final NativeMatrix[] z;
    private final NativeMatrix[] weights;
    private final NativeMatrix[] weightGrads;
    private final NativeMatrix inputGrad;
    /** h[l]: activation outputs of layer l in Java. */
    private final float[][] h;
    private final float[][] delta;
    private final float dropout;
    private final long dropoutSeed;
    /** out[l]: h[l] after dropout (the next layer's input), or h[l] itself without dropout. */
    private final float[][] out;
    /** keep[l]: the dropout scale of each unit of the last training forward (0 or 1 / (1 - p)). */
    private final float[][] keep;
    private boolean dropped;
    /** Whether the last backward's dW_l is finite by {@link DenseParameters#productFinite} of its factors. */
    private final boolean[] weightGradBounded;

    /**
     * Declares the layers' parameters in {@code layout}; call {@link #syncWeights} once the
     * parameter vector exists. {@code input} is the model's input matrix, which it fills.
     */
    Mlp(NativeMatrix input, int[] hidden, Activation activation, DenseParameters.Layout layout) {
        this(input, hidden, activation, layout, 0.0, 0L);
    }

    /** As above, with dropout rate {@code dropout} in [0, 1) drawn from {@code seed}. */
    Mlp(NativeMatrix input, int[] hidden, Activation activation, DenseParameters.Layout layout, double dropout, long seed) {
        if (hidden.length == 0) {
            throw new IllegalArgumentException("the MLP needs at least one hidden layer, got none");
        }
        int capacity = input.rows();
        this.layers = hidden.length;
        this.activation = activation;
        this.sizes = new int[layers + 1];
        sizes[0] = input.cols();
        System.arraycopy(hidden, 0, sizes, 1, layers);
        this.weightOffset = new int[layers];
        this.biasOffset = new int[layers];
        this.in = new NativeMatrix[layers];
        this.z = new NativeMatrix[layers];
        this.weights = new NativeMatrix[layers];
        this.weightGrads = new NativeMatrix[layers];
        this.h = new float[layers][];
        this.delta = new float[layers][];
        this.dropout = (float) dropout;
        this.dropoutSeed = seed;
        this.out = new float[layers][];
        this.keep = new float[layers][];
        in[0] = input;
        for (int l = 0; l < layers; l++) {
            int n = sizes[l];
            int m = sizes[l + 1];
            if (m < 1) {
                throw new IllegalArgumentException("hidden layer sizes must be >= 1, got " + m);
            }
            weightOffset[l] = layout.weights(n * m, activation.initStddev(n, m));
            biasOffset[l] = layout.biases(m);
            if (l > 0) {
                in[l] = new NativeMatrix(capacity, n);
            }
            z[l] = new NativeMatrix(capacity, m);
            weights[l] = new NativeMatrix(n, m);
            weightGrads[l] = new NativeMatrix(n, m);
            h[l] = new float[capacity * m];
            delta[l] = l + 1 < layers ? new float[capacity * m] : null;
            out[l] = dropout > 0 ? new float[capacity * m] : h[l];
            keep[l] = dropout > 0 ? new float[capacity * m] : null;
        }
        this.inputGrad = new NativeMatrix(capacity, sizes[0]);
        this.weightGradBounded = new boolean[layers];
    }

    /** Offset of the first parameter of the tower in the parameter vector. */
    int parameterStart() {
        return weightOffset[0];
    }

    /** Offset after the last parameter of the tower (its blocks are consecutive). */
    int parameterEnd() {
        return biasOffset[layers - 1] + sizes[layers];
    }

    /** Width of the last hidden layer. */
    int outputs() {
        return sizes[layers];
    }

    /** Copies the weights from {@code params} into native memory (after init, import or a step). */
    void syncWeights(float[] params) {
        for (int l = 0; l < layers; l++) {
            weights[l].put(params, weightOffset[l], sizes[l] * sizes[l + 1]);
        }
    }

    /** Runs the layers over the first {@code b} rows of the input (evaluation: no dropout); returns the last activations. */
    float[] forward(int b, float[] params) {
        return forward(b, params, -1);
    }

    /**
     * Runs the layers over the first {@code b} rows of the input; returns the last activations.
     *
     * @param trainingStep with dropout on, a training forward drawing its masks from this counter
     *                     (>= 0); -1 for an evaluation forward
     */
    float[] forward(int b, float[] params, long trainingStep) {
        dropped = dropout > 0 && trainingStep >= 0;
        for (int l = 0; l < layers; l++) {
            int m = sizes[l + 1];
            NativeMatrix.gemm(in[l].rows(b), false, weights[l].all(), false, z[l].rows(b));
            z[l].get(h[l], 0, b * m);
            activation.biasAndApply(h[l], b, m, params, biasOffset[l]);
            float[] o = h[l];
            if (dropped) {
                o = out[l];
                float scale = 1f / (1f - dropout);
                float[] k = keep[l];
                long key = trainingStep * 64 + l;
                for (int i = 0; i < b * m; i++) {
                    k[i] = SplitMix64.uniform(dropoutSeed, key, i) < dropout ? 0f : scale;
                    o[i] = h[l][i] * k[i];
                }
            }
            if (l + 1 < layers) {
                in[l + 1].put(o, 0, b * m);
            }
        }
        return dropped ? out[layers - 1] : h[layers - 1];
    }

    /**
     * Back-propagates {@code outGrad} (d loss / d last activations, {@code b} rows; overwritten),
     * writes the weight and bias gradients into {@code grads} and d loss / d input into
     * {@code inputGradOut[0..b·inputs)}.
     *
     * @param inputExponent the {@link DenseParameters#maxExponent} of the input matrix's first
     *                      {@code b} rows as the last forward multiplied them
     */
    void backward(float[] outGrad, int b, float[] grads, float[] inputGradOut, int inputExponent) {
        float[] d = outGrad;
        for (int l = layers - 1; l >= 0; l--) {
            int n = sizes[l];
            int m = sizes[l + 1];
            if (dropped) { // through the mask of the training forward, then the activation
                float[] k = keep[l];
                for (int i = 0; i < b * m; i++) {
                    d[i] *= k[i];
                }
            }
            activation.backprop(d, h[l], b * m);
            int bo = biasOffset[l];
            for (int j = 0; j < m; j++) {
                grads[bo + j] = 0f;
            }
            for (int e = 0; e < b; e++) {
                int base = e * m;
                for (int j = 0; j < m; j++) {
                    grads[bo + j] += d[base + j];
                }
            }
            z[l].put(d, 0, b * m);
            int inExponent = l == 0 ? inputExponent : DenseParameters.maxExponent(layerOutput(l - 1), 0, b * n);
            weightGradBounded[l] = DenseParameters.productFinite(inExponent, DenseParameters.maxExponent(d, 0, b * m), b);
            NativeMatrix.gemm(in[l].rows(b), true, z[l].rows(b), false, weightGrads[l].all());
            weightGrads[l].get(grads, weightOffset[l], n * m);
            // in[l] is no longer needed once dW_l is computed, so it takes dA_l.
            NativeMatrix target = l == 0 ? inputGrad : in[l];
            NativeMatrix.gemm(z[l].rows(b), false, weights[l].all(), true, target.rows(b));
            if (l == 0) {
                target.get(inputGradOut, 0, b * n);
            } else {
                target.get(delta[l - 1], 0, b * n);
                d = delta[l - 1];
            }
        }
    }

    /** What layer {@code l} passed to the next one in the last forward (after its dropout mask). */
    private float[] layerOutput(int l) {
        return dropped ? out[l] : h[l];
    }

    /**
     * Whether the gradients the last {@link #backward} wrote into {@code grads} are all finite:
     * every bias, and every weight gradient not already shown finite by its factors' bounds (the
     * common case, which saves reading the weight gradients).
     */
    boolean gradientsFinite(float[] grads) {
        for (int l = 0; l < layers; l++) {
            int w = weightOffset[l];
            int bias = biasOffset[l];
            if (!weightGradBounded[l] && !DenseParameters.allFinite(grads, w, w + sizes[l] * sizes[l + 1])
                    || !DenseParameters.allFinite(grads, bias, bias + sizes[l + 1])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (int l = 0; l < layers; l++) {
            if (l > 0) {
                in[l].close();
            }
            z[l].close();
            weights[l].close();
            weightGrads[l].close();
        }
        inputGrad.close();
    }
}
