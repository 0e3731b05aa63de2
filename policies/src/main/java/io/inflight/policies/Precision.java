package io.inflight.policies;

/**
 * Storage precision of a stored chunk. A pruned chunk has no precision: it is absent from the
 * row's mask and takes 0 bits.
 */
public enum Precision {
    FP32(32),
    FP16(16),
    BF16(16),
    INT8(8),
    INT4(4),
    INT2(2);

    private final int bits;

    Precision(int bits) {
        this.bits = bits;
    }

    /** Bits per stored value. */
    public int bits() {
        return bits;
    }

    /** Whether values are stored as integers with a scale (and written with stochastic rounding). */
    public boolean quantized() {
        return this == INT8 || this == INT4 || this == INT2;
    }
}
