package io.inflight.ops.generate;

/**
 * Samples ranks {@code 0..n-1} with probability proportional to {@code 1/(rank+1)^s} by binary
 * search in a precomputed cumulative table (n doubles of memory). Immutable and thread-safe.
 */
public final class ZipfSampler {

    private final double[] cdf;

    public ZipfSampler(int n, double exponent) {
        if (n < 1) {
            throw new IllegalArgumentException("cardinality must be >= 1, got " + n);
        }
        if (!(exponent >= 0) || !Double.isFinite(exponent)) {
            throw new IllegalArgumentException("zipf exponent must be >= 0 and finite, got " + exponent);
        }
        cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.pow(i + 1, -exponent);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
    }

    /** The rank for a uniform draw {@code u} in [0, 1). */
    public int sample(double u) {
        int lo = 0;
        int hi = cdf.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cdf[mid] > u) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    public int cardinality() {
        return cdf.length;
    }
}
