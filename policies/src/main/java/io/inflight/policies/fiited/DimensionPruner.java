package io.inflight.policies.fiited;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.UtilityOrder;
import java.util.Arrays;

/**
 * FIITED-2D column decision: the least important dimensions are dropped for every row. In this
 * store the unit of storage is the chunk, so the decision is made per chunk: a chunk's importance
 * is the mean {@link DimensionImportance} of its dimensions, and the {@code dropRatio} fraction of
 * chunks (rounded down, at most K - 1 so a row always keeps a column) with
 * the lowest mean importance are dropped. Decided rarely (once after a cold start, see
 * {@code PolicySettings.fiited2dColdStartSteps}); dropped columns are never re-allocated or grown.
 */
public final class DimensionPruner {

    private DimensionPruner() {
    }

    /** The mask of chunks to drop for every row. */
    public static int droppedChunks(int[] chunkWidths, DimensionImportance importance, double dropRatio) {
        if (!(dropRatio >= 0 && dropRatio < 1)) {
            throw new IllegalArgumentException("2D drop ratio must be in [0, 1), got " + dropRatio);
        }
        int k = chunkWidths.length;
        int d = Arrays.stream(chunkWidths).sum();
        if (importance.dimensions() != d) {
            throw new IllegalArgumentException("importance has " + importance.dimensions()
                    + " dimensions but the chunks cover " + d);
        }
        int drop = Math.min(k - 1, (int) Math.floor(dropRatio * k));
        if (drop == 0) {
            return 0;
        }
        long[] order = new long[k];
        int dim = 0;
        for (int c = 0; c < k; c++) {
            double sum = 0;
            for (int i = 0; i < chunkWidths[c]; i++) {
                sum += importance.importance(dim++);
            }
            order[c] = UtilityOrder.pack((float) (sum / chunkWidths[c]), c);
        }
        Arrays.sort(order);
        int mask = 0;
        for (int i = 0; i < drop; i++) {
            mask |= 1 << UtilityOrder.index(order[i]);
        }
        return mask;
    }

    /** Prunes every stored chunk in {@code columns} of every row of {@code table}; returns the chunks pruned. */
    public static long pruneColumns(EmbeddingTable table, int columns) {
        if (columns == 0) {
            return 0;
        }
        int k = table.chunkWidths().length;
        GrowableLongs todo = new GrowableLongs(1024);
        table.forEachRow(row -> {
            int hit = row.mask() & columns;
            if (hit != 0) {
                todo.add(row.key());
                todo.add(hit);
            }
        });
        long n = 0;
        for (int i = 0; i < todo.size(); i += 2) {
            int hit = (int) todo.get(i + 1);
            for (int c = 0; c < k; c++) {
                if ((hit & (1 << c)) != 0) {
                    table.pruneChunk(todo.get(i), c);
                    n++;
                }
            }
        }
        return n;
    }
}
