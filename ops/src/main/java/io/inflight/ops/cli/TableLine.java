package io.inflight.ops.cli;

import io.inflight.policies.Precision;
import io.inflight.trainer.topology.TableStats;
import java.util.Locale;

/**
 * The trainer's embedding table as {@code demo} and {@code train} print it: its stored bytes (against
 * the byte budget when one applies), its rows by stored chunks and by precision, and what the policies
 * admitted, evicted and grew.
 */
final class TableLine {

    /** Indent of the second line of a progress line, under the first one's figures. */
    static final String INDENT = "           ";

    private TableLine() {
    }

    /** The second progress line of {@code train}: bytes and rows ({@code budgetBytes} 0: no budget). */
    static String line(TableStats t, long budgetBytes) {
        return bytes(t, budgetBytes) + " | " + rows(t);
    }

    /** The table's stored bytes (values, metadata, shared rows), then the budget when {@code budgetBytes > 0}. */
    static String bytes(TableStats t, long budgetBytes) {
        return "table " + mb(t.bytes()) + (budgetBytes > 0 ? " (budget " + mb(budgetBytes) + ")" : "");
    }

    /** Rows by stored chunks and by precision, and the policies' totals. */
    static String rows(TableStats t) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "rows %,d, by chunks", t.rows()));
        long[] byChunks = t.rowsByChunks();
        for (int c = byChunks.length - 1; c >= 1; c--) {
            if (byChunks[c] > 0) {
                sb.append(String.format(Locale.ROOT, " %d/%d: %,d", c, byChunks.length - 1, byChunks[c]));
            }
        }
        sb.append(", by precision");
        for (Precision p : Precision.values()) {
            if (t.rowsAt(p) > 0) {
                sb.append(String.format(Locale.ROOT, " %s: %,d", p.name().toLowerCase(Locale.ROOT), t.rowsAt(p)));
            }
        }
        if (t.mixedRows() > 0) {
            sb.append(String.format(Locale.ROOT, " mixed: %,d", t.mixedRows()));
        }
        if (t.sharedRows() > 0) {
            sb.append(String.format(Locale.ROOT, ", shared rows %,d", t.sharedRows()));
        }
        return sb.append(String.format(Locale.ROOT, " | admitted %,d evicted %,d grown %,d", t.admitted(), t.evicted(),
                t.grown())).toString();
    }

    /** Bytes in MB with two decimals, or in kB with one below 1 MB. */
    static String mb(long bytes) {
        return bytes < 1_000_000 ? String.format(Locale.ROOT, "%.1f kB", bytes / 1e3)
                : String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }
}
