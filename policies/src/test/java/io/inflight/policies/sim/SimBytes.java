package io.inflight.policies.sim;

import io.inflight.policies.Precision;

/**
 * The byte accounting of a {@link SimTable} (see its class comment): a row takes
 * {@link SimTable#ROW_METADATA_BYTES} + K x {@link SimTable#CHUNK_METADATA_BYTES}, plus for each
 * stored chunk {@code ceil(bits * width / 8)} and {@link SimTable#SCALE_BYTES} when quantized.
 */
final class SimBytes {

    private static final Precision[] PRECISIONS = Precision.values();

    private final int k;
    private final int[] chunkValueBytes; // [chunk * PRECISIONS.length + precision ordinal]

    SimBytes(int[] widths) {
        this.k = widths.length;
        this.chunkValueBytes = new int[k * PRECISIONS.length];
        for (int c = 0; c < k; c++) {
            for (Precision p : PRECISIONS) {
                chunkValueBytes[c * PRECISIONS.length + p.ordinal()] =
                        (p.bits() * widths[c] + 7) / 8 + (p.quantized() ? SimTable.SCALE_BYTES : 0);
            }
        }
    }

    /** Value bytes of chunk {@code chunk} stored at the precision of ordinal {@code precision}. */
    long valueBytes(int chunk, int precision) {
        return chunkValueBytes[chunk * PRECISIONS.length + precision];
    }

    /** Bytes every row takes whatever it stores: the row's and every chunk's metadata. */
    long metadataBytes() {
        return SimTable.ROW_METADATA_BYTES + (long) k * SimTable.CHUNK_METADATA_BYTES;
    }

    /** Bytes of a row with chunks {@code mask} stored at {@code precs}. */
    long rowBytes(int mask, Precision[] precs) {
        long bytes = metadataBytes();
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                bytes += valueBytes(c, precs[c].ordinal());
            }
        }
        return bytes;
    }
}
