package io.inflight.trainer.model;

import io.inflight.policies.util.SplitMix64;

/**
 * Second-order factorization machine (Rendle 2010) over binary features, trained with Adagrad:
 * per-coordinate for the linear weight, row-wise (one accumulator per row) for the embedding.
 *
 * <p>Row layout: {@code [w, v_0 .. v_{D-1}, acc_w, acc_v]}. Dense layout: {@code [w0, acc_w0]}.
 * {@code logit = w0 + Σ_i w_i + ½ Σ_f [(Σ_i v_if)² − Σ_i v_if²]}.
 * Not thread-safe (scratch buffer).
 */
public final class FactorizationMachine implements CtrModel {

    private static final double EPS = 1e-8;

    private final int dim;
    private final double lr;
    private final double l2;
    private final double initStddev;
    private final long seed;
    private final double[] sum;

    public FactorizationMachine(int dim, double learningRate, double l2, double initStddev, long seed) {
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be >= 1, got " + dim);
        }
        this.dim = dim;
        this.lr = learningRate;
        this.l2 = l2;
        this.initStddev = initStddev;
        this.seed = seed;
        this.sum = new double[dim];
    }

    @Override
    public String name() {
        return "fm";
    }

    @Override
    public int rowWidth() {
        return dim + 3;
    }

    @Override
    public int denseWidth() {
        return 2;
    }

    @Override
    public void initRow(long key, float[] row) {
        java.util.Arrays.fill(row, 0f);
        for (int f = 0; f < dim; f++) {
            row[1 + f] = (float) (initStddev * SplitMix64.gaussian(seed, key, f));
        }
    }

    @Override
    public double logit(float[][] rows, int n, float[] dense) {
        double linear = dense[0];
        double squares = 0;
        java.util.Arrays.fill(sum, 0);
        for (int i = 0; i < n; i++) {
            float[] r = rows[i];
            linear += r[0];
            for (int f = 0; f < dim; f++) {
                double v = r[1 + f];
                sum[f] += v;
                squares += v * v;
            }
        }
        double pair = 0;
        for (int f = 0; f < dim; f++) {
            pair += sum[f] * sum[f];
        }
        return linear + 0.5 * (pair - squares);
    }

    @Override
    public void learn(float[][] rows, int n, float[] dense, double logit, int label) {
        double g = Losses.sigmoid(logit) - label;
        // sum[] still holds Σ_i v_if from logit(); the caller passes the same rows.
        dense[1] += (float) (g * g);
        dense[0] -= (float) (lr * g / Math.sqrt(dense[1] + EPS));
        int accW = dim + 1;
        int accV = dim + 2;
        for (int i = 0; i < n; i++) {
            float[] r = rows[i];
            double gw = g + l2 * r[0];
            r[accW] += (float) (gw * gw);
            double sq = 0;
            for (int f = 0; f < dim; f++) {
                double gv = g * (sum[f] - r[1 + f]) + l2 * r[1 + f];
                sq += gv * gv;
            }
            r[accV] += (float) (sq / dim);
            double stepV = lr / Math.sqrt(r[accV] + EPS);
            for (int f = 0; f < dim; f++) {
                double gv = g * (sum[f] - r[1 + f]) + l2 * r[1 + f];
                r[1 + f] -= (float) (stepV * gv);
            }
            r[0] -= (float) (lr * gw / Math.sqrt(r[accW] + EPS));
        }
    }
}
