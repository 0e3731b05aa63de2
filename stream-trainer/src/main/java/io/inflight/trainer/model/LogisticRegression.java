package io.inflight.trainer.model;

/**
 * Logistic regression over binary features with per-coordinate Adagrad.
 * Row layout: {@code [w, acc]}; dense layout: {@code [w0, acc_w0]}. Stateless apart from settings.
 */
public final class LogisticRegression implements CtrModel {

    private static final double EPS = 1e-8;

    private final double lr;
    private final double l2;

    public LogisticRegression(double learningRate, double l2) {
        this.lr = learningRate;
        this.l2 = l2;
    }

    @Override
    public String name() {
        return "lr";
    }

    @Override
    public int rowWidth() {
        return 2;
    }

    @Override
    public int denseWidth() {
        return 2;
    }

    @Override
    public void initRow(long key, float[] row) {
        row[0] = 0f;
        row[1] = 0f;
    }

    @Override
    public double logit(float[][] rows, int n, float[] dense) {
        double z = dense[0];
        for (int i = 0; i < n; i++) {
            z += rows[i][0];
        }
        return z;
    }

    @Override
    public void learn(float[][] rows, int n, float[] dense, double logit, int label) {
        double g = Losses.sigmoid(logit) - label;
        dense[1] += (float) (g * g);
        dense[0] -= (float) (lr * g / Math.sqrt(dense[1] + EPS));
        for (int i = 0; i < n; i++) {
            float[] r = rows[i];
            double gw = g + l2 * r[0];
            r[1] += (float) (gw * gw);
            r[0] -= (float) (lr * gw / Math.sqrt(r[1] + EPS));
        }
    }
}
