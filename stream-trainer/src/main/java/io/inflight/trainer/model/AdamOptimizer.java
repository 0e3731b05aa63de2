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

    private final double lr;
    private final float[] m;
    private final float[] v;
    private long t;

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
    public void step(float[] params, float[] grads) {
        t++;
        double c1 = 1.0 - StrictMath.pow(BETA1, t);
        double c2 = Math.sqrt(1.0 - StrictMath.pow(BETA2, t));
        // All-float loop so that the JIT vectorises it (sqrt and division included); still IEEE-exact.
        float alpha = (float) (lr * c2 / c1);
        float eps = (float) (EPSILON * c2);
        float b1 = (float) BETA1;
        float b2 = (float) BETA2;
        float a1 = (float) (1.0 - BETA1);
        float a2 = (float) (1.0 - BETA2);
        for (int i = 0; i < m.length; i++) {
            float g = grads[i];
            float mi = b1 * m[i] + a1 * g;
            float vi = b2 * v[i] + a2 * (g * g);
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
