package io.inflight.policies;

/**
 * Read-only statistics of one stored row, handed to a policy pass by
 * {@link EmbeddingTable#forEachRow}. Valid only during the visit (implementations may reuse one
 * instance for every row).
 */
public interface RowView {

    long key();

    /** Bit {@code c} set = chunk {@code c} is stored. 0 = every chunk pruned (the row reads as zeros). */
    int mask();

    /** Precision of chunk {@code c}; meaningful only when the chunk is stored. */
    Precision precision(int chunk);

    /** FIITED utility of chunk {@code c} (kept for pruned chunks too, so they can climb back). */
    float utility(int chunk);

    /** Number of times the row was read by a training step since it was created or re-admitted. */
    long accesses();

    /** The training step of the last access. */
    long lastAccessStep();
}
