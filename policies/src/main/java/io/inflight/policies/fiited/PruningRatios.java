package io.inflight.policies.fiited;

import java.util.Arrays;

/**
 * FIITED's manual per-chunk pruning ratios (papers/002, III-C): {@code p_k = c * x_k^a} at
 * {@code x_k = (k + 0.5) / K}, with {@code c} fitted so that the mean of the {@code p_k} equals the
 * target average ratio; any {@code p_k > 0.95} is capped at 0.95 and {@code c} re-fitted on the
 * remaining chunks until none exceeds the cap. Later chunks are pruned more.
 */
public final class PruningRatios {

    /** No chunk is pruned at a higher ratio than this. */
    public static final double CAP = 0.95;

    private PruningRatios() {
    }

    /**
     * @param k        number of chunks, >= 1
     * @param target   target average ratio in [0, 0.95]
     * @param exponent the power {@code a} (FIITED uses 0.5 or 1), > 0
     * @return the K ratios, mean equal to {@code target} up to rounding
     */
    public static double[] powerLaw(int k, double target, double exponent) {
        if (k < 1) {
            throw new IllegalArgumentException("chunk count must be >= 1, got " + k);
        }
        if (!(target >= 0 && target <= CAP)) {
            throw new IllegalArgumentException("target pruning ratio must be in [0, " + CAP + "], got " + target);
        }
        if (!(exponent > 0)) {
            throw new IllegalArgumentException("power-law exponent must be > 0, got " + exponent);
        }
        double[] x = new double[k];
        for (int i = 0; i < k; i++) {
            x[i] = Math.pow((i + 0.5) / k, exponent);
        }
        double[] p = new double[k];
        boolean[] capped = new boolean[k];
        while (true) {
            double free = 0;
            int cappedCount = 0;
            for (int i = 0; i < k; i++) {
                if (capped[i]) {
                    cappedCount++;
                } else {
                    free += x[i];
                }
            }
            double remaining = target * k - cappedCount * CAP;
            double c = free > 0 ? remaining / free : 0;
            boolean changed = false;
            for (int i = 0; i < k; i++) {
                if (capped[i]) {
                    p[i] = CAP;
                } else {
                    p[i] = c * x[i];
                    if (p[i] > CAP) {
                        capped[i] = true;
                        changed = true;
                    }
                }
            }
            if (!changed) {
                return p;
            }
        }
    }

    /** The mean of {@code ratios}. */
    public static double mean(double[] ratios) {
        return Arrays.stream(ratios).average().orElse(0);
    }
}
