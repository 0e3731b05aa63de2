package io.inflight.ops.serve;

import io.inflight.ops.snapshot.ModelSnapshot;
import io.inflight.store.ChunkLayout;
import io.inflight.store.SharedRows;
import io.inflight.topics.ModelUpdateCodec;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A serving replica's copy of the trainer's shared hashed rows ({@link SharedRows}): the H rows as
 * last published, the per-field gates and the store's chunk layout. A feature reads
 * {@code gate(field) x row(SharedRows.slot(key, H))}, as the trainer reads it for a feature it
 * refused a row for want of room (and for a stored row's pruned chunks).
 *
 * <p>H may double or halve between publications, and the chunks of one publication may come from
 * several topic partitions in any order: the copy keeps the H of the newest model version seen (in
 * a chunk or in the gates), starts over empty when a newer version brings another H, and ignores a
 * chunk of another H that is older. Rows not received yet (and everything before the first gates)
 * read as zeros. Not thread-safe: {@link ServingModel} guards it.
 */
final class ServedSharedRows {

    private final int dim;
    private final int fields;
    private int tableRows;
    /** The newest model version seen with the current H; -1: none yet. */
    private long version = -1;
    /** Per row: D values then the linear weight. */
    private float[] values = new float[0];
    private final BitSet held = new BitSet();
    /** Per field; null until the first gates arrive; empty when the trainer reads its shared rows ungated. */
    private float[] gates;
    private long gatesVersion = -1;
    private ChunkLayout layout;

    ServedSharedRows(int dim, int fields) {
        this.dim = dim;
        this.fields = fields;
    }

    void apply(ModelUpdateCodec.SharedChunk c) {
        checkDim(c.dim());
        if (!current(c.tableRows(), c.modelVersion())) {
            return; // a stale chunk of a table of another size
        }
        System.arraycopy(c.values(), 0, values, c.firstRow() * (dim + 1), c.values().length);
        held.set(c.firstRow(), c.firstRow() + c.n());
    }

    void apply(ModelUpdateCodec.Gates g) {
        checkDim(g.dim());
        if (g.gates().length != 0 && g.gates().length != fields) {
            throw new IllegalArgumentException("shared rows gate " + g.gates().length + " fields, this replica serves " + fields
                    + "; check inflight.model.fields");
        }
        current(g.tableRows(), g.modelVersion());
        if (g.modelVersion() >= gatesVersion) {
            gatesVersion = g.modelVersion();
            gates = g.gates();
            layout = ChunkLayout.of(g.chunkWidths());
        }
    }

    /** Whether records of a table of {@code h} rows at {@code modelVersion} apply; starts over for a newer H. */
    private boolean current(int h, long modelVersion) {
        if (h == tableRows) {
            version = Math.max(version, modelVersion);
            return true;
        }
        if (modelVersion <= version) {
            return false;
        }
        tableRows = h;
        version = modelVersion;
        values = new float[Math.multiplyExact(h, dim + 1)];
        held.clear();
        return true;
    }

    private void checkDim(int d) {
        if (d != dim) {
            throw new IllegalArgumentException("shared rows have dimension " + d + ", this replica serves " + dim
                    + "; check inflight.model.dim");
        }
    }

    private float gate(int field) {
        return gates.length == 0 ? 1f : gates[field];
    }

    /**
     * Writes what a feature {@code key} of {@code field} without a row of its own reads into
     * {@code dst[off .. off + D]} (D values, then the linear weight): its gated shared row, zeros
     * before the gates arrived.
     */
    void read(long key, int field, float[] dst, int off) {
        if (gates == null || tableRows == 0) {
            Arrays.fill(dst, off, off + dim + 1, 0f);
            return;
        }
        float g = gate(field);
        int r = SharedRows.slot(key, tableRows) * (dim + 1);
        for (int j = 0; j <= dim; j++) {
            dst[off + j] = values[r + j] * g;
        }
    }

    /** Overwrites the chunks missing from {@code mask} of a stored row in {@code dst[off ..]} with its gated shared row's. */
    void readPruned(long key, int field, int mask, float[] dst, int off) {
        if (gates == null || tableRows == 0 || (mask & layout.fullMask()) == layout.fullMask()) {
            return;
        }
        float g = gate(field);
        int r = SharedRows.slot(key, tableRows) * (dim + 1);
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) == 0) {
                for (int j = layout.offset(c); j < layout.offset(c) + layout.width(c); j++) {
                    dst[off + j] = values[r + j] * g;
                }
            }
        }
    }

    /** Rows received of the current table. */
    int held() {
        return held.cardinality();
    }

    /** H of the current table (0: none yet). */
    int tableRows() {
        return tableRows;
    }

    /** A copy of the current table (H x (D values, linear weight)). */
    float[] values() {
        return values.clone();
    }

    /** The table and gates as a snapshot section, null before the first gates (or of an empty table). */
    ModelSnapshot.Shared snapshot() {
        if (gates == null || tableRows == 0) {
            return null;
        }
        int[] widths = new int[layout.chunks()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = layout.width(c);
        }
        return new ModelSnapshot.Shared(Math.max(version, gatesVersion), tableRows, values.clone(), widths, gates.clone());
    }

    /** A copy of the gates, null before the first. */
    float[] gates() {
        return gates == null ? null : gates.clone();
    }
}
