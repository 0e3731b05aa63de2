package io.inflight.trainer.model;

/**
 * The cross network of DCN-v2 (Wang et al. 2021, Eq. 1), full rank:
 * {@code x_{l+1} = x_0 ⊙ (x_l·W_l + b_l) + x_l}, with {@code W_l} stored {@code [n × n]} in the
 * model's {@link DenseParameters} and mirrored into native memory. The products run as sgemm into
 * preallocated buffers; the element-wise parts in plain Java.
 *
 * <p>Per batch: {@link #forward} (the input matrix already filled with {@code x_0}, and the same
 * rows given in Java), then {@link #backward}, then {@link #syncWeights} after the step.
 * Not thread-safe.
 */
final class CrossNetwork implements AutoCloseable {

    private final int layers;
    private final int width;
    private final int[] weightOffset;
    private final int[] biasOffset;
    /** in[l]: x_l in native memory (in[0] is the model's input matrix). */
    private final NativeMatrix[] in;
    private final NativeMatrix[] weights;
    /** x_l·W_l in forward, d u_l in backward. */
    private final NativeMatrix product;
    private final NativeMatrix weightGrad;
    private final NativeMatrix inputGrad;
    /** x[l] in Java; x[0] is the caller's x_0 of the current batch. */
    private final float[][] x;
    /** u[l] = x_l·W_l + b_l in Java. */
    private final float[][] u;
    private final float[] du;
    private final float[] back;

    /** Declares {@code layers} cross layers over the width of {@code input} in {@code layout}. */
    CrossNetwork(NativeMatrix input, int layers, DenseParameters.Layout layout) {
        if (layers < 1) {
            throw new IllegalArgumentException("cross layers must be >= 1, got " + layers);
        }
        int capacity = input.rows();
        this.layers = layers;
        this.width = input.cols();
        this.weightOffset = new int[layers];
        this.biasOffset = new int[layers];
        this.in = new NativeMatrix[layers];
        this.weights = new NativeMatrix[layers];
        this.x = new float[layers + 1][];
        this.u = new float[layers][];
        in[0] = input;
        double glorot = Math.sqrt(1.0 / width);
        for (int l = 0; l < layers; l++) {
            weightOffset[l] = layout.weights(width * width, glorot);
            biasOffset[l] = layout.biases(width);
            if (l > 0) {
                in[l] = new NativeMatrix(capacity, width);
            }
            weights[l] = new NativeMatrix(width, width);
            x[l + 1] = new float[capacity * width];
            u[l] = new float[capacity * width];
        }
        this.product = new NativeMatrix(capacity, width);
        this.weightGrad = new NativeMatrix(width, width);
        this.inputGrad = new NativeMatrix(capacity, width);
        this.du = new float[capacity * width];
        this.back = new float[capacity * width];
    }

    int outputs() {
        return width;
    }

    void syncWeights(float[] params) {
        for (int l = 0; l < layers; l++) {
            weights[l].put(params, weightOffset[l], width * width);
        }
    }

    /** Runs the layers over {@code b} rows of {@code x0} (also in the input matrix); returns x_L. */
    float[] forward(float[] x0, int b, float[] params) {
        x[0] = x0;
        int n = b * width;
        for (int l = 0; l < layers; l++) {
            NativeMatrix.gemm(in[l].rows(b), false, weights[l].all(), false, product.rows(b));
            float[] ul = u[l];
            float[] xl = x[l];
            float[] next = x[l + 1];
            product.get(ul, 0, n);
            int bo = biasOffset[l];
            for (int e = 0; e < b; e++) {
                int base = e * width;
                for (int i = 0; i < width; i++) {
                    float v = ul[base + i] + params[bo + i];
                    ul[base + i] = v;
                    next[base + i] = x0[base + i] * v + xl[base + i];
                }
            }
            if (l + 1 < layers) {
                in[l + 1].put(next, 0, n);
            }
        }
        return x[layers];
    }

    /**
     * Back-propagates {@code outGrad} (d loss / d x_L, {@code b} rows; overwritten), writes the
     * layers' gradients into {@code grads} and adds d loss / d x_0 to {@code inputGrad}.
     */
    void backward(float[] outGrad, int b, float[] grads, float[] inputGradAcc) {
        float[] g = outGrad;
        float[] x0 = x[0];
        int n = b * width;
        for (int l = layers - 1; l >= 0; l--) {
            float[] ul = u[l];
            for (int i = 0; i < n; i++) {
                du[i] = g[i] * x0[i];
                inputGradAcc[i] += g[i] * ul[i];
            }
            int bo = biasOffset[l];
            for (int i = 0; i < width; i++) {
                grads[bo + i] = 0f;
            }
            for (int e = 0; e < b; e++) {
                int base = e * width;
                for (int i = 0; i < width; i++) {
                    grads[bo + i] += du[base + i];
                }
            }
            product.put(du, 0, n);
            NativeMatrix.gemm(in[l].rows(b), true, product.rows(b), false, weightGrad.all());
            weightGrad.get(grads, weightOffset[l], width * width);
            NativeMatrix.gemm(product.rows(b), false, weights[l].all(), true, inputGrad.rows(b));
            inputGrad.get(back, 0, n);
            for (int i = 0; i < n; i++) {
                g[i] += back[i];
            }
        }
        for (int i = 0; i < n; i++) {
            inputGradAcc[i] += g[i];
        }
    }

    @Override
    public void close() {
        for (int l = 0; l < layers; l++) {
            if (l > 0) {
                in[l].close();
            }
            weights[l].close();
        }
        product.close();
        weightGrad.close();
        inputGrad.close();
    }
}
