package io.inflight.trainer.model;

import java.util.Locale;

/**
 * Activation of the hidden layers, applied in plain Java over row-major blocks (fused with the
 * bias add) because a per-element ND4J op costs more in overhead than the work itself.
 */
enum Activation {

    /** max(0, x); He initialisation. */
    RELU {
        @Override
        void biasAndApply(float[] h, int rows, int cols, float[] params, int biasOffset) {
            for (int e = 0; e < rows; e++) {
                int base = e * cols;
                for (int j = 0; j < cols; j++) {
                    float v = h[base + j] + params[biasOffset + j];
                    h[base + j] = v > 0f ? v : 0f;
                }
            }
        }

        @Override
        void backprop(float[] grad, float[] h, int n) {
            for (int i = 0; i < n; i++) {
                if (h[i] <= 0f) {
                    grad[i] = 0f;
                }
            }
        }

        @Override
        double initStddev(int fanIn, int fanOut) {
            return Math.sqrt(2.0 / fanIn);
        }
    },

    /** tanh(x), computed as 1 − 2/(e^{2x}+1); Glorot initialisation. */
    TANH {
        @Override
        void biasAndApply(float[] h, int rows, int cols, float[] params, int biasOffset) {
            for (int e = 0; e < rows; e++) {
                int base = e * cols;
                for (int j = 0; j < cols; j++) {
                    double v = h[base + j] + params[biasOffset + j];
                    h[base + j] = (float) (1.0 - 2.0 / (Math.exp(2.0 * v) + 1.0));
                }
            }
        }

        @Override
        void backprop(float[] grad, float[] h, int n) {
            for (int i = 0; i < n; i++) {
                grad[i] *= 1f - h[i] * h[i];
            }
        }

        @Override
        double initStddev(int fanIn, int fanOut) {
            return Math.sqrt(2.0 / (fanIn + fanOut));
        }
    };

    /** {@code h[e][j] = act(h[e][j] + params[biasOffset + j])} for the first {@code rows} rows. */
    abstract void biasAndApply(float[] h, int rows, int cols, float[] params, int biasOffset);

    /** Multiplies {@code grad[0..n)} by the derivative, given the activation outputs {@code h}. */
    abstract void backprop(float[] grad, float[] h, int n);

    /** Standard deviation of the initial weights of a layer feeding this activation. */
    abstract double initStddev(int fanIn, int fanOut);

    /** Parses relu or tanh. */
    static Activation parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "relu" -> RELU;
            case "tanh" -> TANH;
            default -> throw new IllegalArgumentException("activation must be relu or tanh, got " + name);
        };
    }
}
