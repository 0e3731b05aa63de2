package io.inflight.trainer.model;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;

/**
 * The deep CTR models over per-field embeddings, sharing one implementation:
 * <ul>
 *   <li><b>dnn</b>: an MLP over the concatenated field embeddings (and numeric inputs), then a
 *       linear output: {@code z = w·MLP(x_0) + b};</li>
 *   <li><b>deepfm</b> (Guo et al. 2017): the same MLP plus a factorization machine over the same
 *       embeddings, logits added: {@code z = b + Σ_s lin_s + ½ Σ_j [(Σ_s e_sj)² − Σ_s e_sj²]
 *       + w·MLP(x_0)};</li>
 *   <li><b>dcn</b> (DCN-v2, Wang et al. 2021, parallel structure): a full-rank
 *       {@link CrossNetwork} and the MLP side by side over {@code x_0}, their outputs
 *       concatenated into one linear output: {@code z = w_c·x_L + w_d·MLP(x_0) + b}.</li>
 * </ul>
 * {@code x_0} is the row {@code [emb (F·D) | num]}. dnn and dcn ignore {@code lin} (its gradient is
 * zero). With dropout on ({@link DeepModelSpec#dropout()}), {@link #forward} scores with the whole
 * MLP and {@link #backward} trains a thinned one ({@link Mlp}): a second forward with masks keyed by
 * the number of steps applied, which is part of the exported dense state. Loss: mean log-loss over the batch. Dense parameters and their optimizer (Adam or
 * Adagrad) live in a {@link DenseParameters}; weights start from {@link SplitMix64} draws (He
 * for relu layers, Glorot otherwise), biases at zero; the output bias is stepped by its own
 * {@link BaseRate} (whose counts follow the dense state), the other parameters by the optimizer.
 *
 * <p>Matrix products run on ND4J sgemm into native buffers allocated once at batch capacity;
 * everything element-wise runs in plain Java. With one BLAS thread the same inputs and state give
 * bit-identical outputs. Holds native memory: {@link #close()} it. Not thread-safe.
 */
public final class DeepBatchModel implements BatchModel {

    /** Block keys of the weight draws: SplitMix64 key = this + block number. */
    private static final long SEED_KEY_BASE = 0x44454E5345L;
    private static final long DROPOUT_SEED_SALT = 0x44524F504F5554L;

    private final DeepModelSpec spec;
    private final int fields;
    private final int dim;
    private final int numeric;
    private final int capacity;
    private final int inputs;
    private final boolean fm;
    private final NativeMatrix input;
    private final Mlp mlp;
    private final CrossNetwork cross;
    private final int outHidden;
    private final int outCross;
    private final int outBias;
    private final DenseParameters params;
    /** x_0 in Java, when the cross network needs it or numeric inputs must be interleaved. */
    private final float[] x0;
    private final float[] inputGrad;
    private final float[] hiddenGrad;
    private final float[] crossGrad;
    private final float[] lastLogits;
    private final float[] eventGrad;
    private final float[] fmSum;
    private final float[] fmSquares;
    private float[] lastEmb;
    private float[] lastHidden;
    private float[] lastCross;
    private int lastB = -1;
    /** {@link DenseParameters#maxExponent} of the input rows the last forward put in {@link #input}. */
    private int inputExponent;
    private double lastLoss = Double.NaN;
    private final double dropout;
    /** Steps applied with dropout (keys the masks; part of the dense state when dropout is on). */
    private long dropoutSteps;
    private float[] lastLin;
    /** The output bias's optimizer. */
    private final BaseRate baseRate = new BaseRate();

    public DeepBatchModel(DeepModelSpec spec) {
        this.spec = spec;
        this.fields = spec.fields();
        this.dim = spec.dim();
        this.numeric = spec.numericFields();
        this.capacity = spec.batchCapacity();
        this.inputs = spec.inputs();
        this.fm = spec.type().equals("deepfm");
        boolean dcn = spec.type().equals("dcn");
        DenseParameters.Layout layout = new DenseParameters.Layout();
        this.input = new NativeMatrix(capacity, inputs);
        int[] hidden = spec.hidden().stream().mapToInt(Integer::intValue).toArray();
        this.dropout = spec.dropout();
        this.mlp = new Mlp(input, hidden, Activation.parse(spec.activation()), layout, dropout,
                spec.seed() ^ DROPOUT_SEED_SALT);
        this.cross = dcn ? new CrossNetwork(input, spec.crossLayers(), layout) : null;
        int outFan = mlp.outputs() + (dcn ? inputs : 0);
        double outStddev = Math.sqrt(2.0 / (outFan + 1));
        this.outHidden = layout.weights(mlp.outputs(), outStddev);
        this.outCross = dcn ? layout.weights(inputs, outStddev) : -1;
        this.outBias = layout.biases(1);
        this.params = new DenseParameters(layout, spec.seed(), SEED_KEY_BASE, spec.l2(), spec.optimizer(),
                spec.learningRate());
        this.x0 = dcn || numeric > 0 ? new float[capacity * inputs] : null;
        this.inputGrad = new float[capacity * inputs];
        this.hiddenGrad = new float[capacity * mlp.outputs()];
        this.crossGrad = dcn ? new float[capacity * inputs] : null;
        this.lastLogits = new float[capacity];
        this.eventGrad = new float[capacity];
        this.fmSum = new float[dim];
        this.fmSquares = new float[dim];
        syncWeights();
    }

    /** Builds the model of {@code spec}'s type. */
    public static DeepBatchModel create(DeepModelSpec spec) {
        return new DeepBatchModel(spec);
    }

    public DeepModelSpec spec() {
        return spec;
    }

    @Override
    public String name() {
        return spec.type();
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
        return numeric;
    }

    @Override
    public int batchCapacity() {
        return capacity;
    }

    /** Mean log-loss of the batch of the last successful {@link #backward}; NaN before any. */
    public double lastLoss() {
        return lastLoss;
    }

    @Override
    public void forward(float[] emb, float[] lin, float[] num, int b, float[] logits) {
        if (b < 1 || b > capacity) {
            throw new IllegalArgumentException("model " + name() + ": batch must be in [1, " + capacity + "], got " + b);
        }
        int fd = fields * dim;
        if (x0 == null) {
            input.put(emb, 0, b * fd);
            inputExponent = DenseParameters.maxExponent(emb, 0, b * fd);
        } else {
            for (int e = 0; e < b; e++) {
                System.arraycopy(emb, e * fd, x0, e * inputs, fd);
                System.arraycopy(num, e * numeric, x0, e * inputs + fd, numeric);
            }
            input.put(x0, 0, b * inputs);
            inputExponent = DenseParameters.maxExponent(x0, 0, b * inputs);
        }
        float[] p = params.values();
        lastHidden = mlp.forward(b, p);
        lastCross = cross == null ? null : cross.forward(x0, b, p);
        lastEmb = emb;
        lastLin = lin;
        outputLogits(b, p);
        System.arraycopy(lastLogits, 0, logits, 0, b);
        lastB = b;
    }

    /** The logits of the last forward's events from {@link #lastHidden} into {@link #lastLogits}. */
    private void outputLogits(int b, float[] p) {
        int hw = mlp.outputs();
        for (int e = 0; e < b; e++) {
            double z = p[outBias] + dot(lastHidden, e * hw, p, outHidden, hw);
            if (cross != null) {
                z += dot(lastCross, e * inputs, p, outCross, inputs);
            }
            if (fm) {
                z += factorizationMachine(lastEmb, lastLin, e);
            }
            lastLogits[e] = (float) z;
        }
    }

    @Override
    public boolean backward(float[] labels, int b, float[] embGrad, float[] linGrad) {
        if (b != lastB) {
            throw new IllegalStateException("model " + name() + ": backward of " + b
                    + " events must follow a forward of the same batch (last forward: " + lastB + ")");
        }
        lastB = -1;
        thin(b);
        baseRate.shiftFirstBatch(params.values()[outBias], labels, lastLogits, b);
        double loss = 0;
        for (int e = 0; e < b; e++) {
            double z = lastLogits[e];
            double y = labels[e];
            loss += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y * z;
            eventGrad[e] = (float) ((Losses.sigmoid(z) - y) / b);
        }
        if (!Double.isFinite(loss)) {
            return false;
        }
        float[] p = params.values();
        float[] grads = params.grads();
        float gb = 0f;
        for (int e = 0; e < b; e++) {
            gb += eventGrad[e];
        }
        grads[outBias] = gb;
        outputLayer(lastHidden, mlp.outputs(), outHidden, hiddenGrad, b, p, grads);
        mlp.backward(hiddenGrad, b, grads, inputGrad, inputExponent);
        if (cross != null) {
            outputLayer(lastCross, inputs, outCross, crossGrad, b, p, grads);
            cross.backward(crossGrad, b, grads, inputGrad);
        }
        inputGradients(b, embGrad, linGrad);
        if (!DenseParameters.allFinite(embGrad, b * fields * dim) || !DenseParameters.allFinite(linGrad, b * fields)
                || !denseGradientsFinite(grads)) {
            return false;
        }
        float outputBias = p[outBias]; // stepped by its own optimizer, not by params' (whose state for it is unused)
        params.step();
        p[outBias] = baseRate.update(outputBias, labels, lastLogits, b);
        if (dropout > 0) {
            dropoutSteps++; // a refused step draws the same masks again for the next batch
        }
        syncWeights();
        lastLoss = loss / b;
        return true;
    }

    /** Whether every dense gradient is finite: the MLP's own check, then the blocks outside it. */
    private boolean denseGradientsFinite(float[] grads) {
        return mlp.gradientsFinite(grads) && DenseParameters.allFinite(grads, 0, mlp.parameterStart())
                && DenseParameters.allFinite(grads, mlp.parameterEnd(), grads.length);
    }

    /** Gradient of the output weights over {@code act} and d loss / d act. */
    private void outputLayer(float[] act, int width, int offset, float[] actGrad, int b, float[] p, float[] grads) {
        for (int j = 0; j < width; j++) {
            grads[offset + j] = 0f;
        }
        for (int e = 0; e < b; e++) {
            float g = eventGrad[e];
            int base = e * width;
            for (int j = 0; j < width; j++) {
                grads[offset + j] += g * act[base + j];
                actGrad[base + j] = g * p[offset + j];
            }
        }
    }

    private void inputGradients(int b, float[] embGrad, float[] linGrad) {
        int fd = fields * dim;
        for (int e = 0; e < b; e++) {
            System.arraycopy(inputGrad, e * inputs, embGrad, e * fd, fd);
        }
        if (!fm) {
            Arrays.fill(linGrad, 0, b * fields, 0f);
            return;
        }
        float[] sum = fmSum;
        for (int e = 0; e < b; e++) {
            float g = eventGrad[e];
            int row = e * fd;
            Arrays.fill(sum, 0f);
            for (int s = 0; s < fields; s++) {
                for (int j = 0; j < dim; j++) {
                    sum[j] += lastEmb[row + s * dim + j];
                }
            }
            // d/de_sj of ½[(Σ e)² − Σ e²] = Σ_t e_tj − e_sj
            for (int s = 0; s < fields; s++) {
                int base = row + s * dim;
                for (int j = 0; j < dim; j++) {
                    embGrad[base + j] += g * (sum[j] - lastEmb[base + j]);
                }
            }
            for (int s = 0; s < fields; s++) {
                linGrad[e * fields + s] = g;
            }
        }
    }

    private double factorizationMachine(float[] emb, float[] lin, int e) {
        float[] sum = fmSum;
        float[] sq = fmSquares;
        Arrays.fill(sum, 0f);
        Arrays.fill(sq, 0f);
        float linear = 0f;
        for (int s = 0; s < fields; s++) {
            linear += lin[e * fields + s];
            int base = (e * fields + s) * dim;
            for (int j = 0; j < dim; j++) {
                float v = emb[base + j];
                sum[j] += v;
                sq[j] += v * v;
            }
        }
        double z = linear;
        for (int j = 0; j < dim; j++) {
            z += 0.5 * ((double) sum[j] * sum[j] - sq[j]);
        }
        return z;
    }

    private static double dot(float[] a, int aOff, float[] w, int wOff, int n) {
        float s = 0f;
        for (int j = 0; j < n; j++) {
            s += a[aOff + j] * w[wOff + j];
        }
        return s;
    }

    private void syncWeights() {
        float[] p = params.values();
        mlp.syncWeights(p);
        if (cross != null) {
            cross.syncWeights(p);
        }
    }

    /**
     * With dropout on: the scores were the whole network's, the step trains a thinned one, so the
     * MLP runs again with the masks of this step (the input matrix still holds the batch).
     */
    private void thin(int b) {
        if (dropout > 0) {
            lastHidden = mlp.forward(b, params.values(), dropoutSteps);
            outputLogits(b, params.values());
        }
    }

    /**
     * Mean log-loss of a batch under the network the next {@link #backward} trains (with the dropout
     * masks of the next step), without stepping: for gradient checks.
     */
    double trainingLoss(float[] emb, float[] lin, float[] num, float[] labels, int b) {
        forward(emb, lin, num, b, new float[b]);
        lastB = -1;
        thin(b);
        baseRate.shiftFirstBatch(params.values()[outBias], labels, lastLogits, b);
        double loss = 0;
        for (int e = 0; e < b; e++) {
            loss += Losses.logLoss(lastLogits[e], (int) labels[e]);
        }
        return loss / b;
    }

    /** The dense loss gradient of the last {@link #backward} (without L2), for gradient checks. */
    float[] lastDenseGradient() {
        return params.grads();
    }

    @Override
    public int denseSize() {
        return params.denseSize() + BaseRate.STATE_FLOATS + (dropout > 0 ? FloatCounters.FLOATS : 0);
    }

    /** Dense parameters only, without optimizer state. */
    @Override
    public int parameterCount() {
        return params.size();
    }

    @Override
    public void exportDense(float[] dst) {
        params.exportDense(dst);
        baseRate.exportState(dst, params.denseSize());
        if (dropout > 0) {
            FloatCounters.put(dropoutSteps, dst, params.denseSize() + BaseRate.STATE_FLOATS);
        }
    }

    @Override
    public void importDense(float[] src) {
        params.importDense(src);
        baseRate.importState(src, params.denseSize());
        if (dropout > 0) {
            dropoutSteps = FloatCounters.get(src, params.denseSize() + BaseRate.STATE_FLOATS);
        }
        syncWeights();
        lastB = -1;
    }

    @Override
    public void close() {
        mlp.close();
        if (cross != null) {
            cross.close();
        }
        input.close();
    }
}
