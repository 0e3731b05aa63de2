package io.inflight.store;

import io.inflight.policies.Precision;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Reads of an {@link EmbeddingStore} that move no row between tiers: one row, the changed rows
 * (model deltas), every row (a snapshot) and the table's digest. Owns its scratch buffers. Not
 * thread-safe.
 */
final class RowExport {

    private final TieredRows rows;
    private final HotTier hot;
    private final int k;
    private final int d;
    private final float[] rowValues;
    private final Precision[] rowPrecisions;

    RowExport(TieredRows rows) {
        this.rows = rows;
        this.hot = rows.hot;
        this.k = rows.k;
        this.d = rows.d;
        this.rowValues = new float[d];
        this.rowPrecisions = new Precision[k];
    }

    boolean read(long key, float[] dst, int off) {
        rows.ensureOpen();
        if (!load(key)) {
            return false;
        }
        rows.loadBuf.values(dst, off);
        dst[off + d] = rows.loadBuf.linear;
        return true;
    }

    void forEachChanged(RowSink sink) {
        rows.ensureOpen();
        for (long key : rows.log.sortedKeys()) {
            if (!emit(key, sink)) {
                sink.evicted(key);
            }
        }
    }

    void snapshot(RowSink sink) {
        rows.ensureOpen();
        rows.visitAll(new TieredRows.Visit() {
            @Override
            public void hot(int e) {
                hot.copyOut(e, rows.loadBuf);
                sinkRow(rows.loadBuf, sink);
            }

            @Override
            public void cold(RowBuffer row) {
                sinkRow(row, sink);
            }
        });
    }

    byte[] digest() {
        rows.ensureOpen();
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
        ByteBuffer keyBytes = ByteBuffer.allocate(8);
        rows.visitAll(new TieredRows.Visit() {
            @Override
            public void hot(int e) {
                hot.copyOut(e, rows.loadBuf);
                cold(rows.loadBuf);
            }

            @Override
            public void cold(RowBuffer row) {
                md.update(keyBytes.clear().putLong(row.key).array());
                md.update(RowCodec.encode(row));
            }
        });
        if (rows.shared != null) {
            rows.shared.digest(md);
        }
        return md.digest();
    }

    private boolean emit(long key, RowSink sink) {
        if (!load(key)) {
            return false;
        }
        sinkRow(rows.loadBuf, sink);
        return true;
    }

    /** Copies row {@code key} into {@code rows.loadBuf} from whichever tier holds it; false when not stored. */
    private boolean load(long key) {
        int e = hot.find(key);
        if (e >= 0) {
            hot.copyOut(e, rows.loadBuf);
            return true;
        }
        return rows.readCold(key, rows.loadBuf);
    }

    private void sinkRow(RowBuffer row, RowSink sink) {
        row.values(rowValues, 0);
        for (int c = 0; c < k; c++) {
            rowPrecisions[c] = RowBuffer.PRECISIONS[row.precision[c]];
        }
        sink.row(row.key, row.mask, rowPrecisions, rowValues, row.linear);
    }
}
