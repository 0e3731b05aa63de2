package io.inflight.policies.util;

/**
 * Packs a float utility and a non-negative int index into one {@code long} whose signed order is
 * the utility order (ties broken by index), so candidates can be sorted with {@code Arrays.sort}
 * on a primitive array.
 */
public final class UtilityOrder {

    private UtilityOrder() {
    }

    /** An int whose signed order equals the float order of {@code u} (NaN sorts last). */
    public static int sortableBits(float u) {
        int bits = Float.floatToIntBits(u);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    public static long pack(float utility, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("index must be >= 0, got " + index);
        }
        return ((long) sortableBits(utility) << 32) | (index & 0xFFFFFFFFL);
    }

    public static int index(long packed) {
        return (int) packed;
    }
}
