package io.inflight.trainer.model;

/**
 * A non-negative count below 2^48 stored exactly in two floats of a dense state vector (24 bits
 * each, which a float holds exactly), so counters travel with the parameters through commits.
 */
final class FloatCounters {

    /** Floats one counter takes. */
    static final int FLOATS = 2;
    private static final int LOW_BITS = 24;

    private FloatCounters() {
    }

    static void put(long count, float[] dst, int at) {
        dst[at] = count >>> LOW_BITS;
        dst[at + 1] = count & ((1 << LOW_BITS) - 1);
    }

    static long get(float[] src, int at) {
        return ((long) src[at] << LOW_BITS) | (long) src[at + 1];
    }
}
