package io.inflight.policies.precision;

import io.inflight.policies.Precision;

/**
 * MPE's final bit-width rule (papers/004): with a learned distribution {@code p_i} over {@code m}
 * candidate bit-widths {@code b_i}, the group keeps {@code b* = max{b_i : p_i > 1/(2m)}}, i.e. the
 * widest width that is not negligible. Pure functions.
 */
public final class MpeRule {

    private MpeRule() {
    }

    /** {@code max{b_i : p_i > 1/(2m)}}; 0 if no probability passes (then the group is pruned). */
    public static int bits(int[] candidateBits, double[] probabilities) {
        if (candidateBits.length != probabilities.length || candidateBits.length == 0) {
            throw new IllegalArgumentException("need as many probabilities as candidate bits (>= 1), got "
                    + probabilities.length + " for " + candidateBits.length);
        }
        double floor = 1.0 / (2 * candidateBits.length);
        int best = 0;
        for (int i = 0; i < candidateBits.length; i++) {
            if (probabilities[i] > floor) {
                best = Math.max(best, candidateBits[i]);
            }
        }
        return best;
    }

    /**
     * The narrowest stored precision holding {@code bits} bits, or null for 0 (pruned): 1-2 INT2,
     * 3-4 INT4, 5-8 INT8, 9-16 FP16, more FP32.
     */
    public static Precision precisionFor(int bits) {
        if (bits < 0) {
            throw new IllegalArgumentException("bits must be >= 0, got " + bits);
        }
        if (bits == 0) {
            return null;
        }
        if (bits <= 2) {
            return Precision.INT2;
        }
        if (bits <= 4) {
            return Precision.INT4;
        }
        if (bits <= 8) {
            return Precision.INT8;
        }
        return bits <= 16 ? Precision.FP16 : Precision.FP32;
    }
}
