package io.inflight.policies;

/**
 * FIITED Eq. 1, the per-chunk utility the store updates on every step a chunk is accessed:
 * {@code u <- gamma * u + a * g}, with {@code a} the accesses of the chunk in the step and {@code g}
 * the L2 norm of the chunk's gradient in the step ({@link Kind#ACCESS_GRAD}), or
 * {@code u <- gamma * u + a} ({@link Kind#ACCESS_ONLY}, the variant FIITED's industry runs used).
 */
public record UtilityRule(Kind kind, float gamma) {

    public enum Kind { ACCESS_GRAD, ACCESS_ONLY }

    public UtilityRule {
        if (!(gamma > 0f && gamma < 1f)) {
            throw new IllegalArgumentException("utility decay gamma must be in (0, 1), got " + gamma);
        }
    }

    /** The new utility after a step with {@code accesses} accesses and gradient norm {@code gradNorm}. */
    public float update(float utility, int accesses, float gradNorm) {
        float signal = kind == Kind.ACCESS_GRAD ? accesses * gradNorm : accesses;
        return gamma * utility + signal;
    }
}
