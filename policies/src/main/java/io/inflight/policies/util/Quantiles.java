package io.inflight.policies.util;

import java.util.Arrays;

/** Thresholds read from sampled utilities. */
public final class Quantiles {

    private Quantiles() {
    }

    /**
     * Sorts {@code samples[0..n)} in place and returns the threshold {@code t} such that "utility
     * {@code <= t}" selects a fraction {@code ratio} of the sample: {@code -Infinity} when
     * {@code round(ratio * n)} is 0 (nothing selected), otherwise the {@code round(ratio * n)}-th
     * smallest sample. Ties at the threshold are all selected (AdaEmbed: rows "at or below").
     */
    public static float thresholdAt(float[] samples, int n, double ratio) {
        if (!(ratio >= 0 && ratio <= 1)) {
            throw new IllegalArgumentException("ratio must be in [0, 1], got " + ratio);
        }
        if (n <= 0) {
            return Float.NEGATIVE_INFINITY;
        }
        Arrays.sort(samples, 0, n);
        int r = (int) Math.min(n, Math.round(ratio * n));
        return r == 0 ? Float.NEGATIVE_INFINITY : samples[r - 1];
    }

    /**
     * Like {@link #thresholdAt} but on samples already sorted ascending.
     */
    public static float thresholdAtSorted(float[] sorted, int n, double ratio) {
        if (n <= 0) {
            return Float.NEGATIVE_INFINITY;
        }
        int r = (int) Math.min(n, Math.round(ratio * n));
        return r == 0 ? Float.NEGATIVE_INFINITY : sorted[r - 1];
    }
}
