package io.inflight.policies.util;

/**
 * Counter-based pseudo-random numbers (SplitMix64 finaliser, Steele et al. 2014): every draw is a
 * pure function of its key, so every sample, initialisation, dropout mask and exploration draw is
 * reproducible on replay, whatever the order tasks ran in. The one generator of the project (in
 * the lowest module its users share). Stateless; thread-safe.
 *
 * <p>Two keyings of three longs exist, each kept because stored models and hashes depend on it:
 * {@link #at(long, long, long)} (the policies: sketch hashing, exploration) and
 * {@link #bits(long, long, long)} (the models' initialisation and dropout, the synthetic stream).
 */
public final class SplitMix64 {

    /** The golden-ratio increment of SplitMix64's counter, {@code 2^64 / φ}. */
    public static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** The second stream's counter increment in {@link #bits}. */
    private static final long BITS_INCREMENT = 0xD1B54A32D192ED03L;

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

    /**
     * A uniformly distributed 64-bit value for (seed, key, counter), keyed otherwise than
     * {@link #at(long, long, long)}: {@code mix(mix(seed·GOLDEN + key) + counter·0xD1B54A32D192ED03)}.
     */
    public static long bits(long seed, long key, long counter) {
        long z = seed * GOLDEN + key;
        z = mix(z) + counter * BITS_INCREMENT;
        return mix(z);
    }

    /** Uniform in [0, 1) with 53 random bits: {@code unit(bits(seed, key, counter))}. */
    public static double uniform(long seed, long key, long counter) {
        return unit(bits(seed, key, counter));
    }

    /** Standard normal (Box-Muller over the uniform draws {@code 2·counter} and {@code 2·counter + 1}). */
    public static double gaussian(long seed, long key, long counter) {
        double u1 = uniform(seed, key, 2 * counter);
        double u2 = uniform(seed, key, 2 * counter + 1);
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
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
