package io.inflight.store;

/**
 * Counter-based random numbers (SplitMix64 mixing): every draw is a pure function of its inputs, so a
 * replay with the same seed reproduces every bit whatever the order or tier rows went through.
 * Stateless; thread-safe.
 */
public final class CounterRng {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private CounterRng() {
    }

    /** A uniformly distributed 64-bit value for (seed, key, counter). */
    public static long bits(long seed, long key, long counter) {
        long z = seed * GOLDEN + key;
        z = mix(z) + counter * 0xD1B54A32D192ED03L;
        return mix(z);
    }

    /** The {@code i}-th value of the stream that starts at {@code base} (e.g. one value per dimension). */
    public static long at(long base, int i) {
        return mix(base + (i + 1L) * GOLDEN);
    }

    /** Uniform in [0, 1) with 24 random bits (exact as a float). */
    public static float unit(long bits) {
        return (bits >>> 40) * 0x1.0p-24f;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
