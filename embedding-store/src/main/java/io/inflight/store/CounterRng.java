package io.inflight.store;

import io.inflight.policies.util.SplitMix64;

/**
 * Counter-based random numbers for the store: the project's one generator ({@link SplitMix64}, whose
 * draws are pure functions of their inputs, so a replay with the same seed reproduces every bit
 * whatever the order or tier rows went through), plus the 24-bit float the store rounds with.
 * Stateless; thread-safe.
 */
public final class CounterRng {

    private CounterRng() {
    }

    /** A uniformly distributed 64-bit value for (seed, key, counter): {@link SplitMix64#bits}. */
    public static long bits(long seed, long key, long counter) {
        return SplitMix64.bits(seed, key, counter);
    }

    /** The {@code i}-th value of the stream that starts at {@code base}: {@link SplitMix64#at(long, long)}. */
    public static long at(long base, int i) {
        return SplitMix64.at(base, i);
    }

    /** Uniform in [0, 1) with 24 random bits (exact as a float). */
    public static float unit(long bits) {
        return (bits >>> 40) * 0x1.0p-24f;
    }
}
