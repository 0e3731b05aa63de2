package io.inflight.store;

import io.inflight.policies.Precision;

/**
 * Receives rows with their values, from {@link EmbeddingStore#forEachChanged} (model deltas) and
 * {@link EmbeddingStore#snapshot} (every row). Arrays are reused between calls: copy what you keep.
 */
public interface RowSink {

    /**
     * One row.
     *
     * @param key        feature key
     * @param mask       stored chunks (bit c = chunk c)
     * @param precisions precision of every chunk, length K (meaningful for stored chunks)
     * @param values     D dequantized values, zeros for pruned chunks
     * @param linear     the fp32 linear (first-order) weight
     */
    void row(long key, int mask, Precision[] precisions, float[] values, float linear);

    /** Row {@code key} was evicted (a tombstone for the model-updates topic). */
    void evicted(long key);
}
