package io.inflight.trainer.model;

/**
 * Counter-based random numbers: every draw is a pure function of (seed, key, counter), so a replay
 * of the same log with the same seed reproduces every bit, whatever the order tasks ran in.
 * Built on the SplitMix64 mixer. Stateless; thread-safe.
 */
public final class CounterRandom {

    private CounterRandom() {
    }

    /** A uniformly distributed 64-bit value for (seed, key, counter). */
    public static long bits(long seed, long key, long counter) {
        long z = seed * 0x9E3779B97F4A7C15L + key;
        z = mix(z) + counter * 0xD1B54A32D192ED03L;
        return mix(z);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public static double uniform(long seed, long key, long counter) {
        return (bits(seed, key, counter) >>> 11) * 0x1.0p-53;
    }

    /** Standard normal (Box-Muller over two counter draws). */
    public static double gaussian(long seed, long key, long counter) {
        double u1 = uniform(seed, key, 2 * counter);
        double u2 = uniform(seed, key, 2 * counter + 1);
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
