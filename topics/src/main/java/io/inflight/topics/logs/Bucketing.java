package io.inflight.topics.logs;

import java.util.Arrays;

/**
 * How a numeric log column becomes a feature: kept as a numeric field ({@link None}) or turned into a
 * categorical value (a bucket label) so that it gets an embedding row like any category.
 *
 * <p>Spelled in mappings and options as {@code none}, {@code log2}, {@code criteo} or
 * {@code bounds:b1|b2|...} (strictly increasing boundaries); see {@link #parse(String)}.
 */
public sealed interface Bucketing permits Bucketing.None, Bucketing.Log2, Bucketing.Criteo, Bucketing.Bounds {

    /** The bucket label of {@code x}, or null when the value stays numeric ({@link None}). */
    String bucket(double x);

    /** Keep the value as a numeric field. */
    record None() implements Bucketing {
        @Override
        public String bucket(double x) {
            return null;
        }

        @Override
        public String toString() {
            return "none";
        }
    }

    /**
     * Powers of two: {@code |x| < 1} is bucket {@code 0}, otherwise {@code 1 + floor(log2 |x|)}, with a
     * {@code -} prefix for negative values (so 1 → 1, 2..3 → 2, 4..7 → 3, -5 → -3).
     */
    record Log2() implements Bucketing {
        @Override
        public String bucket(double x) {
            double a = Math.abs(x);
            int b = a < 1 ? 0 : 1 + (63 - Long.numberOfLeadingZeros((long) Math.min(a, 0x1p62)));
            return x < 0 && b > 0 ? "-" + b : Integer.toString(b);
        }

        @Override
        public String toString() {
            return "log2";
        }
    }

    /**
     * The usual Criteo preprocessing: an integer {@code x > 2} becomes {@code floor(ln(x)^2)}, anything
     * else is its own value ({@code x} itself, as an integer when it is one). Labels of large values
     * are prefixed with {@code L} so that they never collide with small raw values.
     */
    record Criteo() implements Bucketing {
        @Override
        public String bucket(double x) {
            if (x > 2) {
                double ln = Math.log(x);
                return "L" + (long) Math.floor(ln * ln);
            }
            return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
        }

        @Override
        public String toString() {
            return "criteo";
        }
    }

    /**
     * Fixed boundaries {@code b1 < b2 < ... < bn}: bucket {@code i} holds {@code b_i <= x < b_(i+1)},
     * bucket 0 is {@code x < b1} and bucket {@code n} is {@code x >= bn}.
     */
    record Bounds(double[] boundaries) implements Bucketing {
        public Bounds {
            if (boundaries.length == 0) {
                throw new IllegalArgumentException("bucket boundaries must not be empty");
            }
            for (int i = 1; i < boundaries.length; i++) {
                if (!(boundaries[i] > boundaries[i - 1])) {
                    throw new IllegalArgumentException("bucket boundaries must be strictly increasing, got "
                            + Arrays.toString(boundaries));
                }
            }
            boundaries = boundaries.clone();
        }

        @Override
        public String bucket(double x) {
            int i = Arrays.binarySearch(boundaries, x);
            return Integer.toString(i >= 0 ? i + 1 : -i - 1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bounds b && Arrays.equals(boundaries, b.boundaries);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(boundaries);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("bounds:");
            for (int i = 0; i < boundaries.length; i++) {
                sb.append(i == 0 ? "" : "|").append(boundaries[i]);
            }
            return sb.toString();
        }
    }

    /** Parses {@code none}, {@code log2}, {@code criteo} or {@code bounds:b1|b2|...} (also {@code ;} separated). */
    static Bucketing parse(String spec) {
        String s = spec.trim();
        switch (s) {
            case "none", "" -> {
                return new None();
            }
            case "log2" -> {
                return new Log2();
            }
            case "criteo" -> {
                return new Criteo();
            }
            default -> {
                if (!s.startsWith("bounds:")) {
                    throw new IllegalArgumentException("bucketing must be none, log2, criteo or bounds:b1|b2|..., got '" + spec + "'");
                }
                String[] parts = s.substring("bounds:".length()).split("[|;]");
                double[] b = new double[parts.length];
                for (int i = 0; i < parts.length; i++) {
                    try {
                        b[i] = Double.parseDouble(parts[i].trim());
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bucket boundary '" + parts[i] + "' in '" + spec + "' is not a number");
                    }
                }
                return new Bounds(b);
            }
        }
    }
}
