package io.inflight.store;

import io.inflight.policies.Precision;

/**
 * The exact byte sizes of the row model, used for every budget and metric figure.
 *
 * <ul>
 *   <li>values: {@code ceil(width · bits / 8)} bytes per stored chunk (0 for a pruned chunk);</li>
 *   <li>metadata per row, {@value #ROW_METADATA} bytes: key 8, mask 4, access count 8, last access
 *       step 8, update counter 8, linear weight 4, linear Adagrad accumulator 4;</li>
 *   <li>metadata per chunk, {@value #CHUNK_METADATA} bytes (stored or pruned): slot address 4,
 *       utility 4, Adagrad accumulator 4, precision 1; plus a 4-byte scale per stored quantized chunk.</li>
 * </ul>
 * These are the bytes the hot tier's entry arrays and slabs hold for a row and (rounded to the same
 * fields) what the cold encoding carries; container overheads (hash index slack, LRU links, slab
 * growth, RocksDB) are reported separately as allocated bytes.
 */
public final class RowSizes {

    public static final int ROW_METADATA = 44;
    public static final int CHUNK_METADATA = 13;
    public static final int SCALE_BYTES = 4;

    private RowSizes() {
    }

    public static long valueBytes(ChunkLayout layout, int mask, Precision[] precisions) {
        long n = 0;
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) != 0) {
                n += Quantizer.slotBytes(layout.width(c), precisions[c]);
            }
        }
        return n;
    }

    public static long metadataBytes(ChunkLayout layout, int mask, Precision[] precisions) {
        long n = ROW_METADATA + (long) CHUNK_METADATA * layout.chunks();
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) != 0 && precisions[c].quantized()) {
                n += SCALE_BYTES;
            }
        }
        return n;
    }

    /** Bytes of the uncompressed row: D fp32 values. */
    public static long fp32ValueBytes(ChunkLayout layout) {
        return 4L * layout.dim();
    }
}
