package io.inflight.trainer.model;

import java.util.Arrays;

/**
 * Factorization machine (or, with {@code interactions = false}, logistic regression) over per-field
 * inputs in plain Java: the whole model is a bias plus per-row state, so there is nothing for a
 * dense-math library to do. Logit = bias + Σ_s lin_s + ½ Σ_j [(Σ_s e_sj)² − Σ_s e_sj²].
 * Dense state: the bias and the counts of its {@link BaseRate} optimizer. Not thread-safe.
 */
public final class PlainFmBatchModel implements BatchModel {

    private final int fields;
    private final int dim;
    private final int capacity;
    private final boolean interactions;
    private final BaseRate baseRate = new BaseRate();
    private float bias;
    private float[] lastEmb;
    private float[] lastLogits;

    public PlainFmBatchModel(int fields, int dim, int capacity, boolean interactions) {
        this.interactions = interactions;
        this.fields = fields;
        this.dim = dim;
        this.capacity = capacity;
    }

    @Override
    public String name() {
        return interactions ? "fm" : "lr";
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
            for (int j = 0; interactions && j < dim; j++) {
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
        for (int e = 0; e < b; e++) {
            if (!Float.isFinite(lastLogits[e])) {
                return false;
            }
        }
        double[] sum = new double[dim];
        if (baseRate.beforeFirstBatch()) {
            lastLogits = Arrays.copyOf(lastLogits, b); // the caller's scores stay as they were
            baseRate.shiftFirstBatch(bias, labels, lastLogits, b);
        }
        for (int e = 0; e < b; e++) {
            double g = (1 / (1 + Math.exp(-lastLogits[e])) - labels[e]) / b;
            Arrays.fill(sum, 0);
            for (int s = 0; interactions && s < fields; s++) {
                for (int j = 0; j < dim; j++) {
                    sum[j] += lastEmb[(e * fields + s) * dim + j];
                }
            }
            for (int s = 0; s < fields; s++) {
                linGrad[e * fields + s] = (float) g;
                int base = (e * fields + s) * dim;
                for (int j = 0; j < dim; j++) {
                    // d/de_sj of ½[(Σ e)² − Σ e²] = Σ_t e_tj − e_sj
                    embGrad[base + j] = interactions ? (float) (g * (sum[j] - lastEmb[base + j])) : 0f;
                }
            }
        }
        bias = baseRate.update(bias, labels, lastLogits, b);
        return true;
    }

    @Override
    public int denseSize() {
        return 1 + BaseRate.STATE_FLOATS;
    }

    /** The bias; the {@link BaseRate} counts follow it. */
    @Override
    public int parameterCount() {
        return 1;
    }

    @Override
    public void exportDense(float[] dst) {
        dst[0] = bias;
        baseRate.exportState(dst, 1);
    }

    @Override
    public void importDense(float[] src) {
        bias = src[0];
        baseRate.importState(src, 1);
    }

    @Override
    public void close() {
    }
}
