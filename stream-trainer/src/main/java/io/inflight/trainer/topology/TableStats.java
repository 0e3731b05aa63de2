package io.inflight.trainer.topology;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.PassReport;
import io.inflight.policies.Precision;
import java.util.Arrays;

/**
 * What a trainer's embedding table holds, for progress lines and summaries: bytes (values plus
 * metadata) against the same rows stored whole at fp32, rows by number of stored chunks and by
 * precision, and what the policy passes did since the task started.
 *
 * @param rows            rows stored
 * @param bytes           the table's bytes ({@link EmbeddingTable#storedBytes()}: values, metadata, shared rows)
 * @param fp32RowBytes    bytes of one row with every chunk at fp32, metadata included: what each row
 *                        takes without any policy
 * @param rowsByChunks    index c: rows with c chunks stored (0 to the number of chunks)
 * @param rowsByPrecision index p ({@link Precision#ordinal()}): rows whose stored chunks are all at p
 * @param mixedRows       rows whose stored chunks are at more than one precision
 * @param passes          policy passes run since the task started (a restarted task counts again from its restore)
 * @param admitted        rows created since the task started (admitted features): the rows now, less
 *                        those it restored, plus those evicted
 * @param evicted         rows evicted by those passes
 * @param grown           rows grown by a chunk (ESAPN) in those intervals
 * @param sharedRows      shared hashed rows (H) the features without a row of their own read, 0 without
 * @param bytesByChunks   index c: bytes (values and metadata) of the rows with c chunks stored
 */
public record TableStats(long rows, long bytes, long fp32RowBytes, long[] rowsByChunks, long[] rowsByPrecision,
                         long mixedRows, long passes, long admitted, long evicted, long grown,
                         long sharedRows, long[] bytesByChunks) {

    public TableStats {
        rowsByChunks = rowsByChunks.clone();
        rowsByPrecision = rowsByPrecision.clone();
        bytesByChunks = bytesByChunks.clone();
    }

    /** Reads {@code table} (on the thread that owns it) and takes the pass totals from {@code totals}. */
    static TableStats of(EmbeddingTable table, PassTotals totals) {
        int k = table.chunkWidths().length;
        long[] byChunks = new long[k + 1];
        long[] bytesByChunks = new long[k + 1];
        Precision[] precisions = new Precision[k];
        long[] byPrecision = new long[Precision.values().length];
        long[] mixed = {0};
        table.forEachRow(row -> {
            int mask = row.mask();
            byChunks[Integer.bitCount(mask)]++;
            Precision first = null;
            boolean same = true;
            for (int c = 0; c < k; c++) {
                if ((mask & (1 << c)) != 0) {
                    Precision p = row.precision(c);
                    precisions[c] = p;
                    same &= first == null || p == first;
                    first = first == null ? p : first;
                }
            }
            bytesByChunks[Integer.bitCount(mask)] += table.rowBytes(mask, precisions);
            if (first != null && same) {
                byPrecision[first.ordinal()]++;
            } else if (first != null) {
                mixed[0]++;
            }
        });
        Precision[] fp32 = new Precision[k];
        Arrays.fill(fp32, Precision.FP32);
        return new TableStats(table.rowCount(), table.storedBytes(), table.rowBytes((1 << k) - 1, fp32), byChunks,
                byPrecision, mixed[0], totals.passes, table.rowCount() - totals.restoredRows + totals.evicted,
                totals.evicted, totals.grown, table.sharedRows(), bytesByChunks);
    }

    /**
     * Reads a row shard's {@code table} (on its task's thread): {@code restoredRows} at the task's start,
     * {@code passes} policy passes and {@code evicted} rows evicted since.
     */
    public static TableStats ofShard(EmbeddingTable table, long restoredRows, long passes, long evicted) {
        PassTotals totals = new PassTotals();
        totals.start(restoredRows);
        totals.passes = passes;
        totals.evicted = evicted;
        return of(table, totals);
    }

    /** The sum of {@code a} and {@code b} (two tasks' tables). */
    public static TableStats merge(TableStats a, TableStats b) {
        return new TableStats(a.rows + b.rows, a.bytes + b.bytes, a.fp32RowBytes, sum(a.rowsByChunks, b.rowsByChunks),
                sum(a.rowsByPrecision, b.rowsByPrecision), a.mixedRows + b.mixedRows,
                Math.max(a.passes, b.passes), a.admitted + b.admitted, a.evicted + b.evicted, a.grown + b.grown,
                a.sharedRows + b.sharedRows, sum(a.bytesByChunks, b.bytesByChunks));
    }

    private static long[] sum(long[] a, long[] b) {
        long[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += b[i];
        }
        return out;
    }

    @Override
    public long[] rowsByChunks() {
        return rowsByChunks.clone();
    }

    @Override
    public long[] rowsByPrecision() {
        return rowsByPrecision.clone();
    }

    @Override
    public long[] bytesByChunks() {
        return bytesByChunks.clone();
    }

    /** Rows stored at precision {@code p} in every stored chunk. */
    public long rowsAt(Precision p) {
        return rowsByPrecision[p.ordinal()];
    }

    /** The policy passes' totals of one task, kept by the thread that runs the passes. Not thread-safe. */
    static final class PassTotals {
        private long restoredRows;
        private long passes;
        private long evicted;
        private long grown;

        /** The task starts with {@code rows} restored rows (rows leave the table only by a pass's eviction). */
        void start(long rows) {
            restoredRows = rows;
        }

        void add(PassReport r) {
            passes++;
            evicted += r.rowsEvicted();
            grown += r.rowsGrown();
        }
    }
}
