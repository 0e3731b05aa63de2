package io.inflight.trainer.model;

/**
 * Per-coordinate Adagrad (Duchi et al. 2011): {@code acc += g²; p -= lr·g/√(acc + 1e-8)}, as the
 * row optimizer of the trainer. State layout: {@code [acc (n)]}. Not thread-safe.
 */
final class AdagradOptimizer implements DenseOptimizer {

    private static final double EPS = 1e-8;

    private final double lr;
    private final float[] acc;

    AdagradOptimizer(int size, double learningRate) {
        this.lr = learningRate;
        this.acc = new float[size];
    }

    @Override
    public int stateSize() {
        return acc.length;
    }

    @Override
    public void begin() {
        // no step count: every step has the same rate
    }

    // All-float loops so that the JIT vectorises them.
    @Override
    public void update(float[] params, float[] grads, int from, int to) {
        float rate = (float) lr;
        float eps = (float) EPS;
        for (int i = from; i < to; i++) {
            float g = grads[i];
            float a = acc[i] + g * g;
            acc[i] = a;
            params[i] -= rate * g / (float) Math.sqrt(a + eps);
        }
    }

    @Override
    public void updateWithL2(float[] params, float[] grads, int from, int to, float l2) {
        float rate = (float) lr;
        float eps = (float) EPS;
        for (int i = from; i < to; i++) {
            float g = grads[i] + l2 * params[i];
            float a = acc[i] + g * g;
            acc[i] = a;
            params[i] -= rate * g / (float) Math.sqrt(a + eps);
        }
    }

    @Override
    public void exportState(float[] dst, int offset) {
        System.arraycopy(acc, 0, dst, offset, acc.length);
    }

    @Override
    public void importState(float[] src, int offset) {
        System.arraycopy(src, offset, acc, 0, acc.length);
    }
}
