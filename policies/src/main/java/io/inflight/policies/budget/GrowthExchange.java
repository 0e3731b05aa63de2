package io.inflight.policies.budget;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import io.inflight.policies.esapn.EsapnPolicy;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.LongIntHashMap;
import io.inflight.policies.util.UtilityOrder;
import java.util.Arrays;

/**
 * Growth paid for by row eviction, at the margin (mode all, where admission keeps the budget full).
 * Each chunk a stored row lacks is worth its FIITED utility (kept for chunks not stored: what the
 * feature's gradient through its shared row says) per byte it would add; each row is worth the
 * summed utility of its stored chunks per byte it holds. Chunks go from the highest value per byte
 * down, rows from the lowest up: a chunk is granted while the bytes are free under the target or
 * the cheapest row left is worth less per byte than the chunk (that row is then evicted to pay),
 * and the exchange stops where the two orders cross. So bytes only move from colder to hotter use
 * and the table ends at or below the target.
 *
 * <p>A granted chunk is not allocated here: the grant is handed to the growth policy
 * ({@link EsapnPolicy#grant}) and its bytes reserved, and the row grows when its feature is next
 * seen, starting from its gated shared row, which needs the feature's field (a pass does not know
 * it). Grants not taken up by the next pass lapse.
 *
 * <p>Why: without it, growth under a budget that row admission keeps full only got the crumbs left
 * under the target after each pass. Measured on a 200k-event no-drift stream at 250 kB, about 1 of
 * 1,800 grow decisions a period went through and nine rows in ten stayed at one chunk of four.
 *
 * <p>Memory per pass: the candidate chunks and the rows priced below the best of them (a long and
 * a float or two each). Not thread-safe.
 */
public final class GrowthExchange {

    /** Outcome: chunks granted, rows evicted to pay for them, candidate chunks. */
    public record Result(long granted, long evicted, long candidates) {
    }

    private static final Precision[] PRECISIONS = Precision.values();

    /**
     * Runs one exchange on {@code table}, whose bytes should be at or below {@code targetBytes};
     * first lapses the previous pass's grants and clears the growth decisions the allowance refused.
     *
     * @param excludedMask chunks never grown into
     */
    public Result run(EmbeddingTable table, EsapnPolicy growth, long targetBytes, int excludedMask) {
        growth.clearGrants();
        growth.clearBlocked();
        int k = table.chunkWidths().length;
        int all = (1 << k) - 1;
        Precision grow = growth.growPrecision();
        Precision[] precs = new Precision[k];
        GrowableLongs keys = new GrowableLongs(256);
        GrowableLongs chunkDelta = new GrowableLongs(256);
        float[][] values = {new float[256]};
        table.forEachRow(row -> {
            int free = ~row.mask() & ~excludedMask & all;
            if (free == 0) {
                return;
            }
            fill(row, precs, k);
            long before = table.rowBytes(row.mask(), precs);
            while (free != 0) {
                int c = Integer.numberOfTrailingZeros(free);
                free &= free - 1;
                Precision old = precs[c];
                precs[c] = grow;
                long delta = table.rowBytes(row.mask() | (1 << c), precs) - before;
                precs[c] = old;
                if (delta > 0) {
                    int j = keys.size();
                    if (j == values[0].length) {
                        values[0] = Arrays.copyOf(values[0], 2 * j);
                    }
                    keys.add(row.key());
                    chunkDelta.add(((long) c << 48) | delta);
                    values[0][j] = row.utility(c) / delta;
                }
            }
        });
        int n = keys.size();
        float[] value = values[0];
        float best = 0;
        for (int i = 0; i < n; i++) {
            best = Math.max(best, value[i]);
        }
        if (best <= 0) {
            return new Result(0, 0, n);
        }
        // the rows cheaper per byte than the best chunk: the only ones an exchange can evict
        GrowableLongs rowKeys = new GrowableLongs(1024);
        float[][] rowValues = {new float[1024]};
        float cap = best;
        table.forEachRow(row -> {
            int mask = row.mask();
            float u = 0;
            for (int c = 0; c < k; c++) {
                if ((mask & (1 << c)) != 0) {
                    u += row.utility(c);
                }
            }
            float v = u / table.rowBytes(mask, fill(row, precs, k));
            if (v < cap) {
                int j = rowKeys.size();
                if (j == rowValues[0].length) {
                    rowValues[0] = Arrays.copyOf(rowValues[0], j * 2);
                }
                rowKeys.add(row.key());
                rowValues[0][j] = v;
            }
        });
        float[] rowValue = rowValues[0];
        long[] chunkOrder = new long[n];
        for (int i = 0; i < n; i++) {
            chunkOrder[i] = UtilityOrder.pack(-value[i], i); // highest value first
        }
        Arrays.sort(chunkOrder);
        int m = rowKeys.size();
        long[] rowOrder = new long[m];
        for (int j = 0; j < m; j++) {
            rowOrder[j] = UtilityOrder.pack(rowValue[j], j);
        }
        Arrays.sort(rowOrder);
        LongIntHashMap touched = new LongIntHashMap(16); // 0 = evicted, 1 = granted a chunk
        long granted = 0;
        long evicted = 0;
        long reserved = 0;
        int next = 0;
        for (int r = 0; r < n; r++) {
            int i = UtilityOrder.index(chunkOrder[r]);
            if (value[i] <= 0) {
                break; // nothing learned through the chunks left: no claim even on free bytes
            }
            long key = keys.get(i);
            if (touched.get(key) == 0) {
                continue; // evicted to pay for a chunk worth more
            }
            long delta = chunkDelta.get(i) & ((1L << 48) - 1);
            boolean paid = true;
            while (table.storedBytes() + reserved + delta > targetBytes) {
                if (next >= m || rowValue[UtilityOrder.index(rowOrder[next])] >= value[i]) {
                    paid = false;
                    break;
                }
                long victim = rowKeys.get(UtilityOrder.index(rowOrder[next++]));
                if (victim == key || touched.get(victim) >= 0) {
                    continue; // a row does not pay for its own chunk, nor is a grown row taken back
                }
                table.evictRow(victim);
                touched.put(victim, 0);
                evicted++;
            }
            if (!paid) {
                break; // the chunks left are worth even less
            }
            growth.grant(key, delta);
            reserved += delta;
            touched.put(key, 1);
            granted++;
        }
        return new Result(granted, evicted, n);
    }

    private static Precision[] fill(RowView row, Precision[] precs, int k) {
        int mask = row.mask();
        for (int c = 0; c < k; c++) {
            precs[c] = (mask & (1 << c)) != 0 ? row.precision(c) : PRECISIONS[0];
        }
        return precs;
    }
}
