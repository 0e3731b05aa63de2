package io.inflight.policies;

import java.util.Map;

/**
 * What one policy pass did. Counts are for this pass, except {@code rowsAdmitted}, {@code rowsGrown}
 * and {@code growthBlocked}, which count the period since the previous pass (they happen between
 * passes, per access or per batch). Units acted on by the budget enforcement are included in the
 * matching counts (pruned, evicted, demotions) and also reported alone in {@code budgetActions}.
 *
 * @param step               the training step the pass ran at
 * @param rowsVisited        rows in the table at the start of the pass
 * @param chunksPruned       chunks pruned (FIITED, 2D columns, budget)
 * @param chunksReallocated  pruned chunks allocated again (FIITED)
 * @param pruningEnforced    whether FIITED's crossing check (or the budget) made the pass act
 * @param crossingFraction   FIITED's crossings / chunks visited (0 when FIITED is off)
 * @param rowsEvicted        rows removed (AdaEmbed, budget fallback)
 * @param rowsAdmitted       rows admitted by frequency admission since the previous pass
 * @param rowsGrown          rows grown by one chunk (ESAPN) since the previous pass
 * @param growthBlocked      grow decisions refused for lack of budget since the previous pass
 * @param promotions         chunks moved to more bits
 * @param demotions          chunks moved to fewer bits (ladder and budget)
 * @param chunksPerPrecision stored chunks per precision after the ladder (empty when it is off)
 * @param droppedColumns     mask of chunk columns dropped by FIITED-2D so far
 * @param budgetActions      units the budget enforcement acted on
 * @param bytesBefore        stored bytes at the start
 * @param bytesAfter         stored bytes at the end
 * @param budgetBytes        the budget (0 = unlimited)
 * @param budgetMet          bytesAfter within the pass target (always true when unlimited)
 * @param durationNanos      time the pass took (for reports only; no decision reads it)
 */
public record PassReport(long step, PolicyMode mode, long rowsVisited, long chunksPruned, long chunksReallocated,
                         boolean pruningEnforced, double crossingFraction, long rowsEvicted, long rowsAdmitted,
                         long rowsGrown, long growthBlocked, long promotions, long demotions,
                         Map<Precision, Long> chunksPerPrecision, int droppedColumns, long budgetActions,
                         long bytesBefore, long bytesAfter, long budgetBytes, boolean budgetMet,
                         long durationNanos) {

    public PassReport {
        chunksPerPrecision = Map.copyOf(chunksPerPrecision);
    }
}
