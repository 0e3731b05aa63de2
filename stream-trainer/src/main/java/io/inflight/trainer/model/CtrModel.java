package io.inflight.trainer.model;

/**
 * A click-through-rate model over sparse feature rows: the seam the deep models plug into.
 *
 * <p>Per-feature state (weights and optimizer state) lives in rows of {@link #rowWidth()} floats
 * that the caller reads from and writes back to a row store; dense state (global bias, dense layers
 * and their optimizer state) lives in one float array of {@link #denseWidth()} values. The model
 * itself holds only configuration and scratch buffers, so it is cheap to rebuild after a restore.
 *
 * <p>Lifecycle per event: {@link #logit} (score before learning, progressive validation), then
 * {@link #learn} with the same rows, which updates them and the dense state in place.
 * Not thread-safe: one instance per stream task.
 */
public interface CtrModel {

    /** Short name, e.g. "fm". */
    String name();

    /** Floats per feature row, weights and optimizer state together. */
    int rowWidth();

    /** Floats of dense state. */
    int denseWidth();

    /** Initialises a new row for {@code key} deterministically (same key and seed → same bits). */
    void initRow(long key, float[] row);

    /** The model's logit for an event whose distinct features have rows {@code rows[0..n)}. */
    double logit(float[][] rows, int n, float[] dense);

    /**
     * One optimizer step on log-loss for the event, given the logit returned by {@link #logit}
     * for the same rows. Updates {@code rows[0..n)} and {@code dense} in place.
     */
    void learn(float[][] rows, int n, float[] dense, double logit, int label);
}
