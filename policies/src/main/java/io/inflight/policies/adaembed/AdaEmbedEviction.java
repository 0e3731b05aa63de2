package io.inflight.policies.adaembed;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.budget.Lever;
import io.inflight.policies.budget.Shedder;

/**
 * AdaEmbed's in-training row pruning (OSDI 2023; FIITED with K = 1): rows hold physical slots up
 * to a row capacity; at each pass, when more rows are stored than the capacity, the rows with the
 * lowest utility (chunk 0's utility: every access of a row touches all its chunks, so chunk 0
 * carries the row's access/gradient signal) give up their slots via
 * {@link EmbeddingTable#evictRow}. The threshold is read from sampled utilities and the number of
 * evictions is capped at exactly {@code rowCount - capacity}, so after a pass the capacity is never
 * exceeded and no more rows than needed are evicted.
 *
 * <p>New rows enter between passes through frequency admission ({@link AdmissionSketch}) when the
 * trainer first sees them; this is AdaEmbed's "rows above the threshold without a slot want one",
 * and the swap is completed at the next pass when the lowest rows (old or new) are evicted. A row
 * that comes back after eviction starts from zero weights and zero optimizer state: the store does
 * that ({@link EmbeddingTable#evictRow} forgets everything), the policy restores nothing.
 */
public final class AdaEmbedEviction {

    private final Shedder shedder;

    public AdaEmbedEviction(int sampleSize) {
        this.shedder = new Shedder(sampleSize);
    }

    /**
     * Evicts the {@code rowCount - capacity} lowest-utility rows, if positive.
     *
     * @return rows evicted
     */
    public long run(EmbeddingTable table, long rowCapacity, long seed) {
        if (rowCapacity < 0) {
            throw new IllegalArgumentException("row capacity must be >= 0, got " + rowCapacity);
        }
        long excess = table.rowCount() - rowCapacity;
        if (excess <= 0) {
            return 0;
        }
        return shedder.shedUnits(table, Lever.EVICT_ROW, excess, Precision.FP32, seed).units();
    }
}
