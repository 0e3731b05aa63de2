package io.inflight.trainer.model;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1 with the "more efficient" ordering of Section 2):
 * β1 0.9, β2 0.999, ε 1e-8, {@code p -= lr·√(1−β2^t)/(1−β1^t) · m / (√v + ε·√(1−β2^t))}.
 * State layout: {@code [m (n), v (n), t >> 24, t & 0xFFFFFF]}, the step count split in two floats
 * so that it stays exact beyond 2^24 steps. Not thread-safe.
 */
final class AdamOptimizer implements DenseOptimizer {

    static final double BETA1 = 0.9;
    static final double BETA2 = 0.999;
    static final double EPSILON = 1e-8;
    private static final int LOW_BITS = 24;
    private static final float B1 = (float) BETA1;
    private static final float B2 = (float) BETA2;
    private static final float A1 = (float) (1.0 - BETA1);
    private static final float A2 = (float) (1.0 - BETA2);

    private final double lr;
    private final float[] m;
    private final float[] v;
    private long t;
    /** Step size and ε of the step {@link #begin} started. */
    private float alpha;
    private float eps;

    AdamOptimizer(int size, double learningRate) {
        this.lr = learningRate;
        this.m = new float[size];
        this.v = new float[size];
    }

    @Override
    public int stateSize() {
        return 2 * m.length + 2;
    }

    long steps() {
        return t;
    }

    @Override
    public void begin() {
        t++;
        double c1 = 1.0 - StrictMath.pow(BETA1, t);
        double c2 = Math.sqrt(1.0 - StrictMath.pow(BETA2, t));
        alpha = (float) (lr * c2 / c1);
        eps = (float) (EPSILON * c2);
    }

    // All-float loops so that the JIT vectorises them (sqrt and division included); still IEEE-exact.
    @Override
    public void update(float[] params, float[] grads, int from, int to) {
        float alpha = this.alpha;
        float eps = this.eps;
        for (int i = from; i < to; i++) {
            float g = grads[i];
            float mi = B1 * m[i] + A1 * g;
            float vi = B2 * v[i] + A2 * (g * g);
            m[i] = mi;
            v[i] = vi;
            params[i] -= alpha * mi / ((float) Math.sqrt(vi) + eps);
        }
    }

    @Override
    public void updateWithL2(float[] params, float[] grads, int from, int to, float l2) {
        float alpha = this.alpha;
        float eps = this.eps;
        for (int i = from; i < to; i++) {
            float g = grads[i] + l2 * params[i];
            float mi = B1 * m[i] + A1 * g;
            float vi = B2 * v[i] + A2 * (g * g);
            m[i] = mi;
            v[i] = vi;
            params[i] -= alpha * mi / ((float) Math.sqrt(vi) + eps);
        }
    }

    @Override
    public void exportState(float[] dst, int offset) {
        System.arraycopy(m, 0, dst, offset, m.length);
        System.arraycopy(v, 0, dst, offset + m.length, v.length);
        dst[offset + 2 * m.length] = (float) (t >>> LOW_BITS);
        dst[offset + 2 * m.length + 1] = (float) (t & ((1L << LOW_BITS) - 1));
    }

    @Override
    public void importState(float[] src, int offset) {
        float high = src[offset + 2 * m.length];
        float low = src[offset + 2 * m.length + 1];
        if (!(high >= 0 && high == Math.rint(high) && low >= 0 && low < (1 << LOW_BITS) && low == Math.rint(low))) {
            throw new IllegalArgumentException("Adam step count must be two non-negative integers, got "
                    + high + ", " + low);
        }
        System.arraycopy(src, offset, m, 0, m.length);
        System.arraycopy(src, offset + m.length, v, 0, v.length);
        t = ((long) high << LOW_BITS) | (long) low;
    }
}
