package io.inflight.store;

import io.inflight.policies.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The versioned binary form of one row in the cold tier and its changelog: the fields of
 * {@link RowSizes} (without the hot tier's slot addresses) in the same widths.
 *
 * <p>Version 2 (little-endian), written by this build:
 * <pre>
 * u8  version = 2
 * u8  K (chunks, bits 0-6) | 0x80 when the row has one Adagrad accumulator ({@link StoreConfig#rowAdagrad})
 * u16 D (dimensions)
 * i32 accesses (saturating) i32 last access step (low 32 bits)   i32 update counter (wrapping; keys stochastic rounding)
 * f32 linear weight         f32 linear Adagrad accumulator
 * ceil(K/2) × u8 chunk codes: chunk c in the nibble 4·(c mod 2) of byte c/2, bit 3 = stored (the
 *                 mask), bits 0-2 = Precision ordinal (kept for pruned chunks); an odd K's last nibble is 0
 * K × u16 utility, bfloat16 (kept for pruned chunks)
 * f32 the row's Adagrad accumulator (only with flag 0x80)
 * for each stored chunk c, ascending:
 *     f32 Adagrad accumulator (only without flag 0x80) | u16 scale (quantized precisions only: bfloat16 bits of scale·qmax, i.e. of
 *     max|x| rounded up; see {@link Quantizer#packScale}) | slotBytes(width_c, precision_c) value bytes
 * u32 CRC32C of every preceding byte
 * </pre>
 * Version 1 (read only): {@code u8 1, u8 K, u16 D, i32 mask, i64 accesses, i64 last step, i64 update
 * counter, f32 linear, f32 linear accumulator, K × u8 precision, K × f32 utility}, then per stored
 * chunk {@code f32 accumulator | f32 scale (quantized) | values}, then the CRC32C. Its counters are
 * narrowed as the hot tier narrows them (access count saturating, step and counter to their low 32
 * bits); its fp32 utilities and scales are rounded to the nearest bfloat16 when the row enters the
 * hot tier or is written again (a quantized chunk's values then decode up to 0.4% off). A row read
 * by a store with the other accumulator form converts: the row's accumulator goes to each stored
 * chunk, or the chunks' mean over their stored dimensions becomes the row's.
 * Decoding rejects unknown versions, a K or D other than the store's layout, unknown precisions,
 * wrong lengths and checksum mismatches with a {@link StoreException} naming the store and the key.
 */
public final class RowCodec {

    public static final byte VERSION = 2;
    static final int HEADER = 24;
    static final int V1_HEADER = 40;
    /** Flag in the K byte: one Adagrad accumulator per row. */
    static final int ROW_ADAGRAD = 0x80;

    private RowCodec() {
    }

    /** Encoded length of a row with this mask and these precisions (ordinals). */
    static int encodedLength(ChunkLayout layout, int mask, byte[] precision, int precOff, boolean rowAdagrad) {
        int k = layout.chunks();
        int n = HEADER + RowSizes.codeBytes(k) + 2 * k + 4 + (rowAdagrad ? 4 : 0);
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[precision[precOff + c]];
                n += (rowAdagrad ? 0 : 4) + (p.quantized() ? RowSizes.SCALE_BYTES : 0) + Quantizer.slotBytes(layout.width(c), p);
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

    static byte[] encode(RowBuffer row) {
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        byte[] out = new byte[encodedLength(layout, row.mask, row.precision, 0, row.rowAdagrad)];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(VERSION).put((byte) (k | (row.rowAdagrad ? ROW_ADAGRAD : 0))).putShort((short) layout.dim());
        b.putInt(row.accesses).putInt(row.lastStep).putInt(row.updates);
        b.putFloat(row.linear).putFloat(row.linearAcc);
        for (int c = 0; c < k; c += 2) {
            int lo = row.precision[c] | ((row.mask & (1 << c)) != 0 ? 8 : 0);
            int hi = c + 1 < k ? row.precision[c + 1] | ((row.mask & (1 << (c + 1))) != 0 ? 8 : 0) : 0;
            b.put((byte) (lo | (hi << 4)));
        }
        for (int c = 0; c < k; c++) {
            b.putShort((short) Quantizer.bf16Nearest(row.utility[c]));
        }
        if (row.rowAdagrad) {
            b.putFloat(row.rowAccumulator);
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                if (!row.rowAdagrad) {
                    b.putFloat(row.accumulator[c]);
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
        if (version != VERSION && version != 1) {
            throw new StoreException(store, key, "row format version " + version
                    + " is not supported (this build reads versions 1 and " + VERSION + ")");
        }
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        int minimum = version == 1 ? V1_HEADER + 5 * k + 4 : HEADER + RowSizes.codeBytes(k) + 2 * k + 4;
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
        int expected;
        if (version == 1) {
            row.mask = b.getInt();
            if (k < 32 && (row.mask >>> k) != 0) {
                throw new StoreException(store, key, "row mask 0x" + Integer.toHexString(row.mask) + " names chunks beyond K=" + k);
            }
            row.accesses = (int) Math.min(Integer.MAX_VALUE, Math.max(0L, b.getLong()));
            row.lastStep = (int) b.getLong();
            row.updates = (int) b.getLong();
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
            row.accesses = b.getInt();
            row.lastStep = b.getInt();
            row.updates = b.getInt();
            row.linear = b.getFloat();
            row.linearAcc = b.getFloat();
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
                row.utility[c] = Float.intBitsToFloat(b.getShort() << 16);
            }
            expected = encodedLength(layout, row.mask, row.precision, 0, rowAdagrad);
        }
        if (bytes.length != expected) {
            throw new StoreException(store, key, "stored row has " + bytes.length + " bytes, its header implies " + expected);
        }
        if (rowAdagrad) {
            row.rowAccumulator = b.getFloat();
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                row.accumulator[c] = rowAdagrad ? 0f : b.getFloat();
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
