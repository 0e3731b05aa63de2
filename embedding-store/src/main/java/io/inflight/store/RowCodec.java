package io.inflight.store;

import io.inflight.policies.Precision;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The versioned binary form of one row in the cold tier and its changelog.
 *
 * <p>Version 1 (little-endian):
 * <pre>
 * u8  version = 1
 * u8  K (chunks)            u16 D (dimensions)       i32 mask (bit c = chunk c stored)
 * i64 accesses              i64 last access step     i64 update counter (keys stochastic rounding)
 * f32 linear weight         f32 linear Adagrad accumulator
 * K × u8  precision (Precision ordinal; kept for pruned chunks)
 * K × f32 utility (kept for pruned chunks)
 * for each stored chunk c, ascending:
 *     f32 Adagrad accumulator | f32 scale (quantized precisions only) | slotBytes(width_c, precision_c) value bytes
 * u32 CRC32C of every preceding byte
 * </pre>
 * Decoding rejects unknown versions, a K or D other than the store's layout, unknown precisions,
 * wrong lengths and checksum mismatches with a {@link StoreException} naming the store and the key.
 */
public final class RowCodec {

    public static final byte VERSION = 1;
    static final int HEADER = 40;

    private RowCodec() {
    }

    /** Encoded length of a row with this mask and these precisions (ordinals). */
    static int encodedLength(ChunkLayout layout, int mask, byte[] precision, int precOff) {
        int k = layout.chunks();
        int n = HEADER + 5 * k + 4;
        for (int c = 0; c < k; c++) {
            if ((mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[precision[precOff + c]];
                n += 4 + (p.quantized() ? 4 : 0) + Quantizer.slotBytes(layout.width(c), p);
            }
        }
        return n;
    }

    static byte[] encode(RowBuffer row) {
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        byte[] out = new byte[encodedLength(layout, row.mask, row.precision, 0)];
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        b.put(VERSION).put((byte) k).putShort((short) layout.dim()).putInt(row.mask);
        b.putLong(row.accesses).putLong(row.lastStep).putLong(row.updates);
        b.putFloat(row.linear).putFloat(row.linearAcc);
        b.put(row.precision, 0, k);
        for (int c = 0; c < k; c++) {
            b.putFloat(row.utility[c]);
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                b.putFloat(row.accumulator[c]);
                if (p.quantized()) {
                    b.putFloat(row.scale[c]);
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
        if (version != VERSION) {
            throw new StoreException(store, key, "row format version " + version
                    + " is not supported (this build reads version " + VERSION + ")");
        }
        ChunkLayout layout = row.layout;
        int k = layout.chunks();
        if (bytes.length < HEADER + 5 * k + 4) {
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
        int rk = b.get() & 0xff;
        int rd = b.getShort() & 0xffff;
        if (rk != k || rd != layout.dim()) {
            throw new StoreException(store, key, "row has K=" + rk + " chunks and D=" + rd
                    + " but the store is configured with chunk widths " + layout + " (K=" + k + ", D=" + layout.dim() + ")");
        }
        row.key = key;
        row.mask = b.getInt();
        if (k < 32 && (row.mask >>> k) != 0) {
            throw new StoreException(store, key, "row mask 0x" + Integer.toHexString(row.mask) + " names chunks beyond K=" + k);
        }
        row.accesses = b.getLong();
        row.lastStep = b.getLong();
        row.updates = b.getLong();
        row.linear = b.getFloat();
        row.linearAcc = b.getFloat();
        for (int c = 0; c < k; c++) {
            int p = b.get() & 0xff;
            if (p >= RowBuffer.PRECISIONS.length) {
                throw new StoreException(store, key, "chunk " + c + " has unknown precision code " + p);
            }
            row.precision[c] = (byte) p;
        }
        for (int c = 0; c < k; c++) {
            row.utility[c] = b.getFloat();
        }
        int expected = encodedLength(layout, row.mask, row.precision, 0);
        if (bytes.length != expected) {
            throw new StoreException(store, key, "stored row has " + bytes.length + " bytes, its header implies " + expected);
        }
        for (int c = 0; c < k; c++) {
            if ((row.mask & (1 << c)) != 0) {
                Precision p = RowBuffer.PRECISIONS[row.precision[c]];
                row.accumulator[c] = b.getFloat();
                row.scale[c] = p.quantized() ? b.getFloat() : 0f;
                b.get(row.raw, row.rawOffset(c), Quantizer.slotBytes(layout.width(c), p));
            } else {
                row.accumulator[c] = 0f;
                row.scale[c] = 0f;
            }
        }
    }
}
