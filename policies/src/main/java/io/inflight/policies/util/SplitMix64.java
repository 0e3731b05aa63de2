package io.inflight.policies.util;

/**
 * Counter-based pseudo-random numbers (SplitMix64 finaliser, Steele et al. 2014): the value for
 * {@code (seed, index)} depends on nothing else, so every sample, initialisation and exploration
 * draw in the policies is reproducible on replay. Stateless; thread-safe.
 */
public final class SplitMix64 {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SplitMix64() {
    }

    /** The SplitMix64 finaliser: a bijective 64-bit mix. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The {@code index}-th value of the stream keyed by {@code seed}. */
    public static long at(long seed, long index) {
        return mix(seed + (index + 1) * GOLDEN);
    }

    /** The value keyed by three longs (e.g. seed, row key, update count). */
    public static long at(long seed, long key, long counter) {
        return at(mix(seed ^ mix(key + GOLDEN)), counter);
    }

    /** A uniform double in [0, 1) from the top 53 bits of {@code h}. */
    public static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }

    /** A uniform index in [0, bound) from {@code h}; {@code bound > 0}. */
    public static int below(long h, int bound) {
        return (int) Long.remainderUnsigned(h, bound);
    }
}
