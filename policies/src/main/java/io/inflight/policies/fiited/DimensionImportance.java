package io.inflight.policies.fiited;

/**
 * Importance of each of the D embedding dimensions, shared by all rows (FIITED-2D): the trainer
 * feeds it, the 2D pruner reads it. Implementations decide how it is accumulated.
 */
public interface DimensionImportance {

    /** D, the number of dimensions. */
    int dimensions();

    /** Importance of dimension {@code dimension} (non-negative; larger = more important). */
    double importance(int dimension);

    /** Number of gradient values accumulated so far (0 = nothing known yet). */
    long observations();
}
