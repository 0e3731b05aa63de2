package io.inflight.trainer.state;

/**
 * Where the trainer keeps per-feature rows: the seam the adaptive embedding store plugs into.
 *
 * <p>Rows are identified by the 64-bit feature key and hold {@code width} floats whose layout the
 * model defines. Implementations must make every {@link #write} part of the current Kafka Streams
 * commit (exactly once). Single-threaded: owned by one stream task.
 */
public interface RowStore {

    /** Reads the row of {@code key} into {@code dst}; returns false (dst untouched) when absent. */
    boolean read(long key, float[] dst);

    /** Stores the first {@code width} floats of {@code row} under {@code key}. */
    void write(long key, float[] row);

    /** Removes the row of {@code key} (no-op when absent). */
    void delete(long key);
}
