package io.inflight.policies;

/**
 * FIITED Eq. 1, the per-chunk utility the store updates on every step a chunk is accessed:
 * {@code u <- gamma * u + a * g}, with {@code a} the accesses of the chunk in the step and {@code g}
 * the L2 norm of the chunk's gradient in the step ({@link Kind#ACCESS_GRAD}), or
 * {@code u <- gamma * u + a} ({@link Kind#ACCESS_ONLY}, the variant FIITED's industry runs used).
 *
 * <p><b>Decay between accesses.</b> Eq. 1 decays once per step. A chunk that is not accessed in a
 * step is not touched by the store, so the decay of the skipped steps is applied lazily: a store
 * that keeps {@code (u, lastStep)} reports, at step {@code now}, {@link #decay(float, long)
 * decay(u, now - lastStep)}, and folds the same factor in before adding the next signal
 * ({@link #update(float, long, int, float)}). Without it a feature that cools would keep its old
 * utility forever and never lose its chunks.
 *
 * <p><b>Default gamma.</b> {@link #DEFAULT_GAMMA} = 0.999 per step: the memory {@code 1/(1-gamma)}
 * is 1000 steps and the half-life {@code ln 2 / -ln gamma} is about 693 steps, which matches the
 * default pass interval {@code T = 1000} steps ({@code inflight.policy.interval.steps}): each pass
 * ranks chunks mostly by the gradient mass of the last interval, with the interval before weighted
 * about {@code 1/e}. A feature that turns hot passes a cold one within one interval, and one that
 * cools loses half its utility within one. The rule of thumb when changing {@code T} is
 * {@code gamma ~= 1 - 1/T} (e.g. 0.99 for T = 100, half-life about 69 steps).
 */
public record UtilityRule(Kind kind, float gamma) {

    /** Default decay per step; see the class comment for why. */
    public static final float DEFAULT_GAMMA = 0.999f;

    public enum Kind { ACCESS_GRAD, ACCESS_ONLY }

    public UtilityRule {
        if (kind == null) {
            throw new IllegalArgumentException("utility kind must not be null");
        }
        if (!(gamma > 0f && gamma < 1f)) {
            throw new IllegalArgumentException("utility decay gamma must be in (0, 1), got " + gamma);
        }
    }

    /** Access-times-gradient-norm utility with {@link #DEFAULT_GAMMA}. */
    public static UtilityRule defaults() {
        return new UtilityRule(Kind.ACCESS_GRAD, DEFAULT_GAMMA);
    }

    /** The new utility after a step with {@code accesses} accesses and gradient norm {@code gradNorm}. */
    public float update(float utility, int accesses, float gradNorm) {
        float signal = kind == Kind.ACCESS_GRAD ? accesses * gradNorm : accesses;
        return gamma * utility + signal;
    }

    /**
     * The new utility after {@code stepsSinceLast >= 1} steps, the last of which accessed the chunk:
     * the skipped steps' decay is folded in first, so the result equals {@code stepsSinceLast}
     * per-step applications of Eq. 1 with zero signal on the skipped steps.
     */
    public float update(float utility, long stepsSinceLast, int accesses, float gradNorm) {
        float decayed = stepsSinceLast > 1 ? decay(utility, stepsSinceLast - 1) : utility;
        return update(decayed, accesses, gradNorm);
    }

    /** {@code utility * gamma^steps}: the utility of a chunk not accessed for {@code steps} steps. */
    public float decay(float utility, long steps) {
        if (steps <= 0) {
            return utility;
        }
        return (float) (utility * Math.pow(gamma, steps));
    }
}
