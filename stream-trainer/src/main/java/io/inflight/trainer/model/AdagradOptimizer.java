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
    public void step(float[] params, float[] grads) {
        // All-float loop so that the JIT vectorises it.
        float rate = (float) lr;
        float eps = (float) EPS;
        for (int i = 0; i < acc.length; i++) {
            float g = grads[i];
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
