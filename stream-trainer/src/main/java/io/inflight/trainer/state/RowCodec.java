package io.inflight.trainer.state;

import java.nio.ByteBuffer;

/**
 * Versioned encoding of a full-precision row: {@code u8 version (=1), u16 width, width × f32}
 * (big-endian). Unknown versions and wrong lengths are rejected naming the store and the key.
 */
public final class RowCodec {

    public static final byte VERSION = 1;

    private RowCodec() {
    }

    public static byte[] encode(float[] row, int width) {
        ByteBuffer b = ByteBuffer.allocate(3 + 4 * width);
        b.put(VERSION).putShort((short) width);
        for (int i = 0; i < width; i++) {
            b.putFloat(row[i]);
        }
        return b.array();
    }

    /** Decodes into {@code dst[0..width)}; throws {@link IllegalStateException} naming store and key. */
    public static void decode(byte[] bytes, float[] dst, int width, String store, Object key) {
        if (bytes.length < 3 || bytes[0] != VERSION) {
            throw new IllegalStateException("store " + store + ", key " + key + ": unknown row format version "
                    + (bytes.length == 0 ? "<empty>" : Byte.toString(bytes[0])) + " (this build reads version " + VERSION + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        int w = b.getShort() & 0xFFFF;
        if (w != width || bytes.length != 3 + 4 * width) {
            throw new IllegalStateException("store " + store + ", key " + key + ": row has width " + w + " and "
                    + bytes.length + " bytes, expected width " + width + " (" + (3 + 4 * width)
                    + " bytes); was the model type or dimension changed for an existing application id?");
        }
        for (int i = 0; i < width; i++) {
            dst[i] = b.getFloat();
        }
    }
}
