package io.inflight.store;

import io.inflight.policies.Precision;
import java.util.Arrays;

/** Running totals of {@link RowSizes} over a set of rows, by precision and by chunk. */
final class Accounting {

    private final ChunkLayout layout;
    private final boolean rowAdagrad;
    long rows;
    long valueBytes;
    long metadataBytes;
    final long[] valueBytesByPrecision = new long[RowBuffer.PRECISIONS.length];
    final long[] valueBytesByChunk;

    Accounting(ChunkLayout layout, boolean rowAdagrad) {
        this.layout = layout;
        this.rowAdagrad = rowAdagrad;
        this.valueBytesByChunk = new long[layout.chunks()];
    }

    /** Adds ({@code sign} = 1) or removes (-1) a row with this mask and these precision ordinals. */
    void add(int mask, byte[] precision, int off, int sign) {
        rows += sign;
        metadataBytes += sign * (long) RowSizes.fixedMetadataBytes(layout.chunks(), rowAdagrad);
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) != 0) {
                chunk(c, precision[off + c], sign);
            }
        }
    }

    /** Adds ({@code sign} = 1) or removes (-1) hot entry {@code e}. */
    void add(HotTier hot, int e, int sign) {
        rows += sign;
        metadataBytes += sign * (long) RowSizes.fixedMetadataBytes(layout.chunks(), rowAdagrad);
        for (int c = 0; c < layout.chunks(); c++) {
            if (hot.stored(e, c)) {
                chunk(c, hot.precision(e, c), sign);
            }
        }
    }

    /** Adds or removes one stored chunk (its values and, if quantized, its scale). */
    void chunk(int c, byte precisionOrdinal, int sign) {
        Precision p = RowBuffer.PRECISIONS[precisionOrdinal];
        long v = sign * (long) Quantizer.slotBytes(layout.width(c), p);
        valueBytes += v;
        valueBytesByPrecision[precisionOrdinal] += v;
        valueBytesByChunk[c] += v;
        if (p.quantized()) {
            metadataBytes += sign * (long) RowSizes.SCALE_BYTES;
        }
    }

    void clear() {
        rows = 0;
        valueBytes = 0;
        metadataBytes = 0;
        Arrays.fill(valueBytesByPrecision, 0);
        Arrays.fill(valueBytesByChunk, 0);
    }
}
