package io.inflight.store;

import io.inflight.policies.Precision;

/**
 * The exact byte sizes of the row model, used for every budget and metric figure.
 *
 * <ul>
 *   <li>values: {@code ceil(width · bits / 8)} bytes per stored chunk (0 for a pruned chunk);</li>
 *   <li>metadata per row, {@value #ROW_FIXED} + {@code ceil(K/2)} bytes: key 8, access count 2
 *       (saturating at {@value #MAX_ACCESSES}), last access step 4 (low 32 bits, compared as an
 *       unsigned difference), linear weight 4, linear Adagrad accumulator 2 (16-bit float,
 *       stochastically rounded: {@link Quantizer#acc16Stochastic}), and one 4-bit code per chunk
 *       (stored bit = the mask, 3-bit precision);</li>
 *   <li>metadata per chunk, {@value #CHUNK_METADATA} bytes (stored or pruned): slot address 4,
 *       utility 1 (8-bit log-scale code, stochastically rounded: {@link Quantizer#util8Stochastic}),
 *       Adagrad accumulator 2 (16-bit float, as the linear one); plus a 2-byte scale per stored quantized chunk (bfloat16 of {@code max|x|} rounded up,
 *       {@link Quantizer#packScale}; kept in the chunk's slab slot after its values).</li>
 * </ul>
 * With {@link StoreConfig#rowAdagrad} the Adagrad accumulator is one per row: 2 bytes move from each
 * chunk to the row (22 + ceil(K/2) per row, 5 per chunk).
 * For D = 16 in 4 chunks with row-wise Adagrad (the trainer's default) that is 44 bytes of an fp32
 * row, below FIITED's 3K/D (48) of its 64 value bytes (58 before the second round of issue #18,
 * which dropped the 4-byte update counter, as stochastic rounding is keyed by the training step,
 * narrowed the access count and the accumulators to 2 bytes and the utility to 1; 96 before the
 * first), 52 of an int8 row; with one accumulator per chunk 50 and 58 (70 and 78 before).
 * These are the bytes the hot tier's entry arrays and slabs hold for a row and what the cold
 * encoding carries ({@link RowCodec}); container overheads (hash index slack, LRU links, slab
 * growth, RocksDB) are reported separately as allocated bytes.
 */
public final class RowSizes {

    /** Per-row metadata without the chunk codes: key, access count, last step, linear weight and accumulator. */
    public static final int ROW_FIXED = 20;
    public static final int CHUNK_METADATA = 7;
    public static final int SCALE_BYTES = 2;
    /** The Adagrad accumulator: per chunk by default, per row with {@link StoreConfig#rowAdagrad}. */
    public static final int ACCUMULATOR_BYTES = 2;
    /** Where the 2-byte access count saturates. */
    public static final int MAX_ACCESSES = 0xffff;

    /** An access count as the 2-byte field holds it: clamped to [0, {@value #MAX_ACCESSES}]. */
    static int saturatedAccesses(long n) {
        return (int) Math.min(MAX_ACCESSES, Math.max(0L, n));
    }

    private RowSizes() {
    }

    /** Bytes of the per-chunk 4-bit codes (mask bit and precision) of a row of {@code k} chunks. */
    public static int codeBytes(int k) {
        return (k + 1) >>> 1;
    }

    /** Per-row metadata bytes (everything but the per-chunk fields and scales) of a row of {@code k} chunks. */
    public static int rowMetadataBytes(int k) {
        return ROW_FIXED + codeBytes(k);
    }

    /** Metadata bytes of a row of {@code k} chunks before scales: per-row fields and per-chunk fields. */
    public static int fixedMetadataBytes(int k) {
        return fixedMetadataBytes(k, false);
    }

    /** {@link #fixedMetadataBytes(int)} with one Adagrad accumulator per row ({@code rowAdagrad}) or per chunk. */
    public static int fixedMetadataBytes(int k, boolean rowAdagrad) {
        return rowMetadataBytes(k) + CHUNK_METADATA * k - (rowAdagrad ? ACCUMULATOR_BYTES * (k - 1) : 0);
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
        return metadataBytes(layout, mask, precisions, false);
    }

    /** Metadata bytes of a row with one Adagrad accumulator per row ({@code rowAdagrad}) or per chunk. */
    public static long metadataBytes(ChunkLayout layout, int mask, Precision[] precisions, boolean rowAdagrad) {
        long n = fixedMetadataBytes(layout.chunks(), rowAdagrad);
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
