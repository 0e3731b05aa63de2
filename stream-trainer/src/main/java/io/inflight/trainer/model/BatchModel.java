package io.inflight.trainer.model;

/**
 * A CTR model trained in mini-batches over per-field embeddings: the seam the deep models (DNN,
 * DeepFM, DCN-v2) and the batched LR/FM plug into. Embedding rows live outside the model (in the
 * embedding store); the model owns only its dense parameters and their optimizer state.
 *
 * <p>Inputs of a batch of {@code b <= batchCapacity()} events with {@code F = fields()} fields and
 * dimension {@code D = dim()}, all row-major float buffers the caller owns and reuses:
 * <ul>
 *   <li>{@code emb[b][F*D]}: the field embeddings, zero-padded to D (a pruned or missing row is
 *       zeros; a multi-valued field is the sum of its values' rows);</li>
 *   <li>{@code lin[b][F]}: the first-order weight of each field's feature(s), for models with a
 *       linear part (LR, FM, DeepFM); others ignore it;</li>
 *   <li>{@code num[b][numericFields()]}: numeric inputs fed to the dense layers (may be empty).</li>
 * </ul>
 *
 * <p>Lifecycle: {@link #forward} (scores, used for progressive validation before learning) then
 * {@link #backward} with the same batch, which takes one optimizer step on the dense parameters
 * and returns the gradients of the mean log-loss with respect to {@code emb} and {@code lin}, for
 * the caller to apply to the rows. {@link #exportDense}/{@link #importDense} move the dense state
 * (parameters and optimizer state, bit-exact) in and out for commits and restores.
 * Deterministic: the same inputs and state give bit-identical outputs. Not thread-safe.
 */
public interface BatchModel extends AutoCloseable {

    /** Short name: lr, fm, dnn, deepfm, dcn. */
    String name();

    int fields();

    int dim();

    int numericFields();

    int batchCapacity();

    /** Writes the logit of each of the {@code b} events into {@code logits[0..b)}. */
    void forward(float[] emb, float[] lin, float[] num, int b, float[] logits);

    /**
     * One optimizer step for the batch last passed to {@link #forward}, given 0/1 labels; fills
     * {@code embGrad[b][F*D]} and {@code linGrad[b][F]} with d(mean loss)/d(input).
     *
     * @return false (and nothing is updated) when a loss or gradient is not finite
     */
    boolean backward(float[] labels, int b, float[] embGrad, float[] linGrad);

    /** Number of floats of dense state (parameters and optimizer state). */
    int denseSize();

    /**
     * How many leading floats of {@link #exportDense} are parameters; the rest is optimizer state,
     * which scoring does not need (what the trainer publishes for serving replicas).
     */
    default int parameterCount() {
        return denseSize();
    }

    void exportDense(float[] dst);

    void importDense(float[] src);

    /** Frees native buffers, if any. */
    @Override
    void close();
}
