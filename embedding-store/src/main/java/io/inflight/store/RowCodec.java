package io.inflight.store;

import io.inflight.policies.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The versioned binary form of one row in the cold tier and its changelog: the fields of
 * {@link RowSizes} (without the hot tier's slot addresses) in the same widths.
 *
 * <p>Version 3 (little-endian), written by this build:
 * <pre>
 * u8  version = 3
 * u8  K (chunks, bits 0-6) | 0x80 when the row has one Adagrad accumulator ({@link StoreConfig#rowAdagrad})
 * u16 D (dimensions)
 * u16 accesses (saturating at 65,535)   i32 last access step (low 32 bits)
 * f32 linear weight                     u16 linear Adagrad accumulator (acc16: bits 15-30 of its binary32)
 * ceil(K/2) × u8 chunk codes: chunk c in the nibble 4·(c mod 2) of byte c/2, bit 3 = stored (the
 *                 mask), bits 0-2 = Precision ordinal (kept for pruned chunks); an odd K's last nibble is 0
 * K × u8 utility, the 8-bit log-scale code of {@link Quantizer#util8Stochastic} (kept for pruned chunks)
 * u16 the row's Adagrad accumulator, acc16 (only with flag 0x80)
 * for each stored chunk c, ascending:
 *     u16 Adagrad accumulator, acc16 (only without flag 0x80) | u16 scale (quantized precisions only: bfloat16 bits of scale·qmax, i.e. of
 *     max|x| rounded up; see {@link Quantizer#packScale}) | slotBytes(width_c, precision_c) value bytes
 * u32 CRC32C of every preceding byte
 * </pre>
 * acc16 is {@link Quantizer#acc16Stochastic}'s format. Older versions are still read (a row is
 * rewritten as version 3 when it is next written):
 * <ul>
 *   <li>version 2: as version 3 but {@code i32} accesses, an {@code i32} update counter after the
 *       last step (dropped: stochastic rounding is keyed by the training step now), {@code u16}
 *       bfloat16 utilities and {@code f32} linear, row and chunk accumulators;</li>
 *   <li>version 1: {@code u8 1, u8 K, u16 D, i32 mask, i64 accesses, i64 last step, i64 update
 *       counter, f32 linear, f32 linear accumulator, K × u8 precision, K × f32 utility}, then per
 *       stored chunk {@code f32 accumulator | f32 scale (quantized) | values}, then the CRC32C.</li>
 * </ul>
 * Their fields are narrowed as the hot tier narrows them (access count saturating, last step to its
 * low 32 bits, accumulators, utilities and scales rounded to the nearest stored value, so a
 * version-1 quantized chunk's values then decode up to 0.4% off). A row read by a store with the
 * other accumulator form converts: the row's accumulator goes to each stored chunk, or the chunks'
 * mean over their stored dimensions becomes the row's.
 * Decoding rejects unknown versions, a K or D other than the store's layout, unknown precisions,
 * wrong lengths and checksum mismatches with a {@link StoreException} naming the store and the key.
 */
public final class RowCodec {

    public static final byte VERSION = 3;
    static final int HEADER = 16;
    static final int V2_HEADER = 24;
    static final int V1_HEADER = 40;
    /** Flag in the K byte: one Adagrad accumulator per row. */
    static final int ROW_ADAGRAD = 0x80;

    private RowCodec() {
    }

    /** Encoded length (this version) of a row with this mask and these precisions (ordinals). */
    static int encodedLength(ChunkLayout layout, int mask, byte[] precision, int precOff, boolean rowAdagrad) {
        return length(layout, mask, precision, precOff, rowAdagrad, HEADER, 1, RowSizes.ACCUMULATOR_BYTES);
    }

    private static int length(ChunkLayout layout, int mask, byte[] precision, int precOff, boolean rowAdagrad,
                              int header, int utilityBytes, int accBytes) {
        int k = layout.chunks();
        int n = header + RowSizes.codeBytes(k) + utilityBytes * k + 4 + (rowAdagrad ? accBytes : 0);
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[precision[precOff + c]];
                n += (rowAdagrad ? 0 : accBytes) + (p.quantized() ? RowSizes.SCALE_BYTES : 0) + Quantizer.slotBytes(layout.width(c), p);
            }
        }
        return n;
    }

    private static int v1Length(ChunkLayout layout, int mask, byte[] precision) {
        int k = layout.chunks();
        int n = V1_HEADER + 5 * k + 4;
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[precision[c]];
                n += 4 + (p.quantized() ? 4 : 0) + Quantizer.slotBytes(layout.width(c), p);
            }
        }
        return n;
    }

    /** Encodes {@code row}; its float accumulators are rounded to the nearest acc16 (exact for a row copied out of the hot tier). */
    static byte[] encode(RowBuffer row) {
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        byte[] out = new byte[encodedLength(layout, row.mask, row.precision, 0, row.rowAdagrad)];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(VERSION).put((byte) (k | (row.rowAdagrad ? ROW_ADAGRAD : 0))).putShort((short) layout.dim());
        b.putShort((short) RowSizes.saturatedAccesses(row.accesses)).putInt(row.lastStep);
        b.putFloat(row.linear).putShort((short) Quantizer.acc16Nearest(row.linearAcc));
        for (int c = 0; c < k; c += 2) {
            int lo = row.precision[c] | ((row.mask & (1 << c)) != 0 ? 8 : 0);
            int hi = c + 1 < k ? row.precision[c + 1] | ((row.mask & (1 << (c + 1))) != 0 ? 8 : 0) : 0;
            b.put((byte) (lo | (hi << 4)));
        }
        for (int c = 0; c < k; c++) {
            b.put((byte) Quantizer.util8Nearest(row.utility[c]));
        }
        if (row.rowAdagrad) {
            b.putShort((short) Quantizer.acc16Nearest(row.rowAccumulator));
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                if (!row.rowAdagrad) {
                    b.putShort((short) Quantizer.acc16Nearest(row.accumulator[c]));
                }
                if (p.quantized()) {
                    b.putShort((short) Quantizer.packScale(row.scale[c], p));
                }
                b.put(row.raw, row.rawOffset(c), Quantizer.slotBytes(layout.width(c), p));
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(out, 0, out.length - 4);
        b.putInt((int) crc.getValue());
        return out;
    }

    /** Decodes {@code bytes} into {@code row} (key set to {@code key}); throws on any inconsistency. */
    static void decode(byte[] bytes, RowBuffer row, String store, long key) {
        if (bytes == null || bytes.length < 1) {
            throw new StoreException(store, key, "stored row is empty");
        }
        int version = bytes[0] & 0xff;
        if (version < 1 || version > VERSION) {
            throw new StoreException(store, key, "row format version " + version
                    + " is not supported (this build reads versions 1 to " + VERSION + ")");
        }
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        int minimum = version == 1 ? V1_HEADER + 5 * k + 4
                : (version == 2 ? V2_HEADER + 2 * k : HEADER + k) + RowSizes.codeBytes(k) + 4;
        if (bytes.length < minimum) {
            throw new StoreException(store, key, "stored row of " + bytes.length + " bytes is truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int stored = b.getInt(bytes.length - 4);
        if (stored != (int) crc.getValue()) {
            throw new StoreException(store, key, "stored row is corrupt (checksum mismatch over " + bytes.length + " bytes)");
        }
        b.position(1);
        int kByte = b.get() & 0xff;
        boolean rowAdagrad = version != 1 && (kByte & ROW_ADAGRAD) != 0;
        int rk = version == 1 ? kByte : kByte & 0x7f;
        int rd = b.getShort() & 0xffff;
        if (rk != k || rd != layout.dim()) {
            throw new StoreException(store, key, "row has K=" + rk + " chunks and D=" + rd
                    + " but the store is configured with chunk widths " + layout + " (K=" + k + ", D=" + layout.dim() + ")");
        }
        row.key = key;
        row.rowAdagrad = rowAdagrad;
        row.rowAccumulator = 0f;
        boolean narrow = version == VERSION;
        int expected;
        if (version == 1) {
            row.mask = b.getInt();
            if (k < 32 && (row.mask >>> k) != 0) {
                throw new StoreException(store, key, "row mask 0x" + Integer.toHexString(row.mask) + " names chunks beyond K=" + k);
            }
            row.accesses = RowSizes.saturatedAccesses(b.getLong());
            row.lastStep = (int) b.getLong();
            b.getLong(); // the update counter: rounding is keyed by the training step now
            row.linear = b.getFloat();
            row.linearAcc = b.getFloat();
            for (int c = 0; c < k; c++) {
                row.precision[c] = precisionCode(b.get() & 0xff, c, store, key);
            }
            for (int c = 0; c < k; c++) {
                row.utility[c] = b.getFloat();
            }
            expected = v1Length(layout, row.mask, row.precision);
        } else {
            if (narrow) {
                row.accesses = b.getShort() & 0xffff;
                row.lastStep = b.getInt();
                row.linear = b.getFloat();
                row.linearAcc = Quantizer.acc16ToFloat(b.getShort());
            } else {
                row.accesses = RowSizes.saturatedAccesses(b.getInt());
                row.lastStep = b.getInt();
                b.getInt(); // the update counter, dropped
                row.linear = b.getFloat();
                row.linearAcc = b.getFloat();
            }
            int mask = 0;
            for (int c = 0; c < k; c += 2) {
                int codes = b.get() & 0xff;
                for (int j = 0; j < 2; j++) {
                    int nibble = (codes >>> (4 * j)) & 0xf;
                    if (c + j >= k) {
                        if (nibble != 0) {
                            throw new StoreException(store, key, "row code byte 0x" + Integer.toHexString(codes)
                                    + " names a chunk beyond K=" + k);
                        }
                        continue;
                    }
                    row.precision[c + j] = precisionCode(nibble & 7, c + j, store, key);
                    if ((nibble & 8) != 0) {
                        mask |= 1 << (c + j);
                    }
                }
            }
            row.mask = mask;
            for (int c = 0; c < k; c++) {
                row.utility[c] = narrow ? Quantizer.util8ToFloat(b.get()) : Float.intBitsToFloat(b.getShort() << 16);
            }
            expected = narrow ? encodedLength(layout, row.mask, row.precision, 0, rowAdagrad)
                    : length(layout, row.mask, row.precision, 0, rowAdagrad, V2_HEADER, 2, 4);
        }
        if (bytes.length != expected) {
            throw new StoreException(store, key, "stored row has " + bytes.length + " bytes, its header implies " + expected);
        }
        if (rowAdagrad) {
            row.rowAccumulator = narrow ? Quantizer.acc16ToFloat(b.getShort()) : b.getFloat();
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                row.accumulator[c] = rowAdagrad ? 0f : (narrow ? Quantizer.acc16ToFloat(b.getShort()) : b.getFloat());
                if (!p.quantized()) {
                    row.scale[c] = 0f;
                } else if (version == 1) {
                    row.scale[c] = b.getFloat();
                } else {
                    row.scale[c] = Quantizer.unpackScale(b.getShort(), p);
                }
                b.get(row.raw, row.rawOffset(c), Quantizer.slotBytes(layout.width(c), p));
            } else {
                row.accumulator[c] = 0f;
                row.scale[c] = 0f;
            }
        }
    }

    private static byte precisionCode(int p, int chunk, String store, long key) {
        if (p >= RowBuffer.PRECISIONS.length) {
            throw new StoreException(store, key, "chunk " + chunk + " has unknown precision code " + p);
        }
        return (byte) p;
    }
}
