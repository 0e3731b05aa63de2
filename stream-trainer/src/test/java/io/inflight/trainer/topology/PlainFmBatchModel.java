package io.inflight.trainer.topology;

import io.inflight.trainer.model.BatchModel;

/**
 * A small plain-Java factorization machine behind {@link BatchModel}, for testing the batch
 * processor's mechanics (the production models live in the model package). Dense state: bias and
 * its Adagrad accumulator.
 */
final class PlainFmBatchModel implements BatchModel {

    private final int fields;
    private final int dim;
    private final int capacity;
    private final double lr;
    private float bias;
    private float acc;
    private float[] lastEmb;
    private float[] lastLogits;

    PlainFmBatchModel(int fields, int dim, int capacity, double lr) {
        this.fields = fields;
        this.dim = dim;
        this.capacity = capacity;
        this.lr = lr;
    }

    @Override
    public String name() {
        return "fm";
    }

    @Override
    public int fields() {
        return fields;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public int numericFields() {
        return 0;
    }

    @Override
    public int batchCapacity() {
        return capacity;
    }

    @Override
    public void forward(float[] emb, float[] lin, float[] num, int b, float[] logits) {
        for (int e = 0; e < b; e++) {
            double z = bias;
            for (int s = 0; s < fields; s++) {
                z += lin[e * fields + s];
            }
            for (int j = 0; j < dim; j++) {
                double sum = 0;
                double sq = 0;
                for (int s = 0; s < fields; s++) {
                    double v = emb[(e * fields + s) * dim + j];
                    sum += v;
                    sq += v * v;
                }
                z += 0.5 * (sum * sum - sq);
            }
            logits[e] = (float) z;
        }
        lastEmb = emb;
        lastLogits = logits;
    }

    @Override
    public boolean backward(float[] labels, int b, float[] embGrad, float[] linGrad) {
        double gb = 0;
        for (int e = 0; e < b; e++) {
            if (!Float.isFinite(lastLogits[e])) {
                return false;
            }
            double g = (1 / (1 + Math.exp(-lastLogits[e])) - labels[e]) / b;
            gb += g;
            for (int s = 0; s < fields; s++) {
                linGrad[e * fields + s] = (float) g;
                for (int j = 0; j < dim; j++) {
                    double sum = 0;
                    for (int t = 0; t < fields; t++) {
                        sum += lastEmb[(e * fields + t) * dim + j];
                    }
                    int i = (e * fields + s) * dim + j;
                    embGrad[i] = (float) (g * (sum - lastEmb[i]));
                }
            }
        }
        acc += (float) (gb * gb);
        bias -= (float) (lr * gb / Math.sqrt(acc + 1e-8));
        return true;
    }

    @Override
    public int denseSize() {
        return 2;
    }

    @Override
    public void exportDense(float[] dst) {
        dst[0] = bias;
        dst[1] = acc;
    }

    @Override
    public void importDense(float[] src) {
        bias = src[0];
        acc = src[1];
    }

    @Override
    public void close() {
    }
}
