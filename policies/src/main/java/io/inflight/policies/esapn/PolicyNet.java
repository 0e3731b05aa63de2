package io.inflight.policies.esapn;

import io.inflight.policies.util.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * ESAPN's per-field policy network in plain float math: input = one-hot of the feature's
 * log-frequency bucket concatenated with a one-hot of its current size (number of active chunks,
 * 0..K), one tanh hidden layer, two logits {keep, grow}, softmax. Trained by REINFORCE: for a taken
 * action {@code a} with reward {@code r}, the loss is {@code CE(logits, a) * r}, so its logit
 * gradient is {@code (softmax - onehot(a)) * r}; gradients are averaged over the samples of a batch
 * and applied with Adam (beta1 0.9, beta2 0.999, eps 1e-8).
 *
 * <p>Deviation from ESAPN (Linear(in, 512) -> BatchNorm -> Tanh -> Linear(512, 2)): the hidden
 * layer is small (default 32 units) and has no batch norm, because the input is two one-hots (the
 * first layer is a sum of two columns, so normalisation buys nothing) and the net runs on the
 * trainer thread for every observed feature. The grow logit starts with bias {@code growBias}
 * (default -2, grow probability about 0.12) so that an untrained policy does not grow half of all
 * rows irreversibly before it has learned anything.
 *
 * <p>Lifecycle: construct → ({@link #accumulate} …, {@link #step}) … ; not thread-safe.
 */
public final class PolicyNet {

    private final int buckets;
    private final int sizes;
    private final int hidden;
    // Flat parameters: w1 [inputs * hidden], b1 [hidden], w2 [2 * hidden], b2 [2].
    private final int offB1;
    private final int offW2;
    private final int offB2;
    private final float[] params;
    private final float[] grads;
    private final float[] adamM;
    private final float[] adamV;
    private final float[] h;
    private int samples;
    private long steps;

    public PolicyNet(int buckets, int sizes, int hidden, float growBias, long seed) {
        if (buckets < 1 || sizes < 2 || hidden < 1) {
            throw new IllegalArgumentException("policy net needs buckets >= 1, sizes >= 2, hidden >= 1, got "
                    + buckets + ", " + sizes + ", " + hidden);
        }
        this.buckets = buckets;
        this.sizes = sizes;
        this.hidden = hidden;
        int inputs = buckets + sizes;
        offB1 = inputs * hidden;
        offW2 = offB1 + hidden;
        offB2 = offW2 + 2 * hidden;
        params = new float[offB2 + 2];
        grads = new float[params.length];
        adamM = new float[params.length];
        adamV = new float[params.length];
        h = new float[hidden];
        long counter = 0;
        for (int i = 0; i < offB1; i++) {
            params[i] = (float) (SplitMix64.unit(SplitMix64.at(seed, counter++)) - 0.5);
        }
        double w2Range = 0.2 / Math.sqrt(hidden);
        for (int i = offW2; i < offB2; i++) {
            params[i] = (float) ((SplitMix64.unit(SplitMix64.at(seed, counter++)) * 2 - 1) * w2Range);
        }
        params[offB2 + 1] = growBias;
    }

    /** Probability of {@code grow} for a feature in frequency bucket {@code bucket} at {@code size} chunks. */
    public float growProbability(int bucket, int size) {
        return probability(forward(bucket, size));
    }

    /**
     * Adds the REINFORCE gradient of one taken action ({@code grow} true or false) with its reward.
     */
    public void accumulate(int bucket, int size, boolean grow, float reward) {
        float diff = forward(bucket, size); // logit(grow) - logit(keep)
        float pGrow = probability(diff);
        // d CE / d logits = softmax - onehot(action); times reward.
        float dKeep = ((1 - pGrow) - (grow ? 0 : 1)) * reward;
        float dGrow = (pGrow - (grow ? 1 : 0)) * reward;
        grads[offB2] += dKeep;
        grads[offB2 + 1] += dGrow;
        int c1 = bucket * hidden;
        int c2 = (buckets + size) * hidden;
        for (int j = 0; j < hidden; j++) {
            float hj = h[j];
            grads[offW2 + j] += dKeep * hj;
            grads[offW2 + hidden + j] += dGrow * hj;
            float dh = dKeep * params[offW2 + j] + dGrow * params[offW2 + hidden + j];
            float dPre = dh * (1 - hj * hj);
            grads[c1 + j] += dPre;
            grads[c2 + j] += dPre;
            grads[offB1 + j] += dPre;
        }
        samples++;
    }

    /** One Adam step on the mean gradient of the accumulated samples (no-op without samples). */
    public void step(float learningRate) {
        if (samples == 0) {
            return;
        }
        steps++;
        float inv = 1f / samples;
        double bias1 = 1 - Math.pow(0.9, steps);
        double bias2 = 1 - Math.pow(0.999, steps);
        float lrT = (float) (learningRate * Math.sqrt(bias2) / bias1);
        for (int i = 0; i < params.length; i++) {
            float g = grads[i] * inv;
            adamM[i] = 0.9f * adamM[i] + 0.1f * g;
            adamV[i] = 0.999f * adamV[i] + 0.001f * g * g;
            params[i] -= lrT * adamM[i] / ((float) Math.sqrt(adamV[i]) + 1e-8f);
            grads[i] = 0;
        }
        samples = 0;
    }

    /** Writes everything that changes while training: parameters, pending gradients, Adam moments, counters. */
    void writeState(DataOutput out) throws IOException {
        for (float[] a : new float[][] {params, grads, adamM, adamV}) {
            for (float v : a) {
                out.writeFloat(v);
            }
        }
        out.writeInt(samples);
        out.writeLong(steps);
    }

    /** Restores what {@link #writeState} wrote for a net of the same shape. */
    void readState(DataInput in) throws IOException {
        for (float[] a : new float[][] {params, grads, adamM, adamV}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = in.readFloat();
            }
        }
        samples = in.readInt();
        steps = in.readLong();
    }

    /** Adam steps taken so far. */
    public long steps() {
        return steps;
    }

    public int buckets() {
        return buckets;
    }

    public int sizes() {
        return sizes;
    }

    private float forward(int bucket, int size) {
        if (bucket < 0 || bucket >= buckets || size < 0 || size >= sizes) {
            throw new IllegalArgumentException("bucket must be in [0, " + buckets + ") and size in [0, "
                    + sizes + "), got " + bucket + ", " + size);
        }
        int c1 = bucket * hidden;
        int c2 = (buckets + size) * hidden;
        float diff = params[offB2 + 1] - params[offB2];
        for (int j = 0; j < hidden; j++) {
            float hj = (float) Math.tanh(params[c1 + j] + params[c2 + j] + params[offB1 + j]);
            h[j] = hj;
            diff += (params[offW2 + hidden + j] - params[offW2 + j]) * hj;
        }
        return diff;
    }

    private static float probability(float logitDiff) {
        return (float) (1 / (1 + Math.exp(-logitDiff)));
    }

    /** Bytes held: parameters, gradients, Adam moments and the hidden activations. */
    long memoryBytes() {
        return 4L * (4L * params.length + h.length);
    }

    int parameterCount() {
        return params.length;
    }
}
