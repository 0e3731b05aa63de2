package io.inflight.policies.budget;

/** What the budget enforcer (and AdaEmbed eviction) does to the lowest-utility units. */
public enum Lever {
    /** Remove whole rows (unit utility = chunk 0's utility). */
    EVICT_ROW,
    /** Prune one stored chunk (unit utility = that chunk's utility). */
    PRUNE_CHUNK,
    /** Re-quantize one stored chunk at the floor precision. */
    DEMOTE_CHUNK,
    /** Prune a row's highest stored chunk while at least two are stored (ESAPN's reverse). */
    SHRINK_LAST_CHUNK
}
