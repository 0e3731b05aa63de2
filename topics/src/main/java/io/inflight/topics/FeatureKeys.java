package io.inflight.topics;

/**
 * Maps a feature (field name, value) to the 64-bit key of its embedding row.
 *
 * <p>The mapping is part of the model's contract: the trainer, the published model updates and any
 * serving replica must agree on it, so it never changes within a format version. It is FNV-1a over
 * the UTF-16 code units of {@code field}, a separator, and {@code value}, finished with the
 * SplitMix64 mixer; collisions among a billion features have probability about 3e-2 (birthday bound
 * 2^-64 per pair), which the model tolerates as shared rows.
 */
public final class FeatureKeys {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private FeatureKeys() {
    }

    /** The row key of (field, value). Allocation-free. */
    public static long key(String field, String value) {
        return key(fieldPrefix(field), value);
    }

    /**
     * The hash state after {@code field} and the separator: {@code key(fieldPrefix(f), v) == key(f, v)},
     * so a caller that keys many values of one field hashes its name once.
     */
    public static long fieldPrefix(String field) {
        long h = FNV_OFFSET;
        for (int i = 0; i < field.length(); i++) {
            h = (h ^ field.charAt(i)) * FNV_PRIME;
        }
        return (h ^ 0x1F) * FNV_PRIME;
    }

    /** The row key of {@code value} in the field whose {@link #fieldPrefix} is {@code prefix}. Allocation-free. */
    public static long key(long prefix, String value) {
        long h = prefix;
        for (int i = 0; i < value.length(); i++) {
            h = (h ^ value.charAt(i)) * FNV_PRIME;
        }
        return mix(h);
    }

    /** SplitMix64 finaliser: a bijection on 64-bit values with good avalanche. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
