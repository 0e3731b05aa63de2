package io.inflight.store;

/**
 * The rows changed since they were last published: what publication sends as model deltas. The
 * set of changed keys is part of the table's durable state (written with the rows it describes),
 * so it survives a crash. Called from one thread; not thread-safe.
 */
public interface ChangeLog {

    /** Keys changed (written, pruned, re-quantized, evicted) since {@link #clearChanged}. */
    int changedCount();

    /**
     * Visits every row changed since the last {@link #clearChanged}, in ascending unsigned key
     * order: its current values, or {@link RowSink#evicted} when it is no longer stored.
     */
    void forEachChanged(RowSink sink);

    /** Empties the set of changed keys (after they were published). */
    void clearChanged();
}
