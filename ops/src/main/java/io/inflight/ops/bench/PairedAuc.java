package io.inflight.ops.bench;

import java.util.Arrays;

/**
 * Two scorings of the same events compared by their AUC, with DeLong's standard error of the
 * difference (DeLong, DeLong and Clarke-Pearson 1988), so that a bench can say whether a gap between
 * two runs is larger than the events can resolve. Both runs see the events in the same order
 * (progressive validation on one stream), which makes the comparison paired: the error of the
 * difference is much smaller than either AUC's own.
 *
 * <p>Per event the structural component of a run is, for a positive, the share of negatives it
 * outranks and, for a negative, the share of positives that outrank it (ties count half); the AUC is
 * their mean over either class, and the variance of the difference of two AUCs is
 * {@code var(V10_b - V10_a) / m + var(V01_b - V01_a) / n} over the m positives and n negatives.
 * One sort per scoring: O(N log N).
 */
public final class PairedAuc {

    /**
     * @param aucA  exact AUC of the first scoring (ties half)
     * @param aucB  exact AUC of the second
     * @param se    standard error of {@code aucB - aucA}; NaN with fewer than two events of a class
     */
    public record Result(double aucA, double aucB, double se) {
        public double delta() {
            return aucB - aucA;
        }
    }

    /** Scores and labels of one run's events, in the order they were scored. */
    public static final class Scores {
        private float[] scores = new float[1 << 12];
        private boolean[] labels = new boolean[1 << 12];
        private int size;

        public void add(float score, boolean label) {
            if (size == scores.length) {
                scores = Arrays.copyOf(scores, size * 2);
                labels = Arrays.copyOf(labels, size * 2);
            }
            scores[size] = score;
            labels[size++] = label;
        }

        public int size() {
            return size;
        }
    }

    private PairedAuc() {
    }

    /** Compares {@code b} against {@code a}: the same events, in the same order. */
    public static Result compare(Scores a, Scores b) {
        if (a.size != b.size) {
            throw new IllegalArgumentException("the runs scored " + a.size + " and " + b.size + " events");
        }
        for (int i = 0; i < a.size; i++) {
            if (a.labels[i] != b.labels[i]) {
                throw new IllegalArgumentException("the runs scored different events: labels differ at event " + i);
            }
        }
        return compare(a.scores, b.scores, a.labels, a.size);
    }

    /** As above, on the first {@code size} entries of the arrays. */
    public static Result compare(float[] a, float[] b, boolean[] labels, int size) {
        int m = 0;
        for (int i = 0; i < size; i++) {
            m += labels[i] ? 1 : 0;
        }
        int n = size - m;
        if (m == 0 || n == 0) {
            return new Result(Double.NaN, Double.NaN, Double.NaN);
        }
        double[] va = components(a, labels, size, m, n);
        double[] vb = components(b, labels, size, m, n);
        double sumA = 0;
        double sumB = 0;
        double[] diff = new double[size];
        for (int i = 0; i < size; i++) {
            diff[i] = vb[i] - va[i];
            if (labels[i]) {
                sumA += va[i];
                sumB += vb[i];
            }
        }
        double se = m < 2 || n < 2 ? Double.NaN : Math.sqrt(variance(diff, labels, size, true) / m
                + variance(diff, labels, size, false) / n);
        return new Result(sumA / m, sumB / m, se);
    }

    /** Per event its structural component: V10 for a positive, V01 for a negative. */
    static double[] components(float[] scores, boolean[] labels, int size, int m, int n) {
        long[] order = new long[size];
        for (int i = 0; i < size; i++) {
            int bits = Float.floatToIntBits(scores[i]);
            int key = bits ^ ((bits >> 31) & 0x7fffffff); // orders as the floats do
            order[i] = ((long) key << 32) | i;
        }
        Arrays.sort(order);
        double[] v = new double[size];
        int negativesBelow = 0;
        int positivesBelow = 0;
        for (int start = 0; start < size; ) {
            int key = (int) (order[start] >> 32);
            int end = start;
            int pos = 0;
            while (end < size && (int) (order[end] >> 32) == key) {
                pos += labels[(int) order[end]] ? 1 : 0;
                end++;
            }
            int neg = end - start - pos;
            double v10 = (negativesBelow + 0.5 * neg) / n;
            double v01 = (m - positivesBelow - pos + 0.5 * pos) / m;
            for (int j = start; j < end; j++) {
                int i = (int) order[j];
                v[i] = labels[i] ? v10 : v01;
            }
            negativesBelow += neg;
            positivesBelow += pos;
            start = end;
        }
        return v;
    }

    /** Sample variance of {@code x} over the events of one class. */
    private static double variance(double[] x, boolean[] labels, int size, boolean positive) {
        double sum = 0;
        int count = 0;
        for (int i = 0; i < size; i++) {
            if (labels[i] == positive) {
                sum += x[i];
                count++;
            }
        }
        double mean = sum / count;
        double ss = 0;
        for (int i = 0; i < size; i++) {
            if (labels[i] == positive) {
                ss += (x[i] - mean) * (x[i] - mean);
            }
        }
        return ss / (count - 1);
    }
}
