package io.inflight.topics;

import java.nio.ByteBuffer;

/**
 * The wire format of {@code <prefix>.model-updates} (compacted: the latest record per key is the
 * current value, so a serving replica can rebuild the model by reading the topic from the start).
 *
 * <p>Keys: {@code 'r' + u32 model + u64 row key} for an embedding row, {@code 'd' + u32 model + u32
 * chunk index} for a chunk of the dense parameters. {@code model} is the clicks partition whose
 * trainer task published it: each partition trains its own model replica, and a serving replica
 * follows one of them. (Keys written before the model was in them, {@code 'r' + u64} and
 * {@code 'd' + u32}, read as model 0.) Values (version 1, big-endian):
 * <pre>
 * row:   u8 version=1 | u8 kind=1 | u16 dim D | u32 chunk mask | u8 bits | f32 linear | D × f32 embedding
 * dense: u8 version=1 | u8 kind=2 | u32 model version (batches trained) | u32 total floats | u32 offset | n × f32
 * </pre>
 * The dense floats are the model's parameters in export order, {@code total} of them (earlier
 * trainers also sent the optimizer state after them, counted in {@code total}; replicas accept both).
 * A null value (tombstone) for a row key means the row was evicted: it reads as zeros.
 * Unknown versions or kinds are rejected with the version in the message.
 */
public final class ModelUpdateCodec {

    public static final byte VERSION = 1;
    public static final byte KIND_ROW = 1;
    public static final byte KIND_DENSE = 2;

    private ModelUpdateCodec() {
    }

    /** What a model-updates key names: a row or a dense chunk ({@code id}) of model {@code model}. */
    public record Key(boolean row, int model, long id) {
    }

    public static byte[] rowKey(int model, long key) {
        return ByteBuffer.allocate(13).put((byte) 'r').putInt(model).putLong(key).array();
    }

    public static byte[] denseKey(int model, int chunk) {
        return ByteBuffer.allocate(9).put((byte) 'd').putInt(model).putInt(chunk).array();
    }

    /**
     * Parses a key of either layout.
     *
     * @throws IllegalArgumentException for anything else, naming its length and first byte
     */
    public static Key parseKey(byte[] key) {
        if (key != null && key.length > 0) {
            ByteBuffer b = ByteBuffer.wrap(key, 1, key.length - 1);
            if (key[0] == 'r' && key.length == 13) {
                return new Key(true, b.getInt(), b.getLong());
            }
            if (key[0] == 'd' && key.length == 9) {
                return new Key(false, b.getInt(), b.getInt());
            }
            if (key[0] == 'r' && key.length == 9) {
                return new Key(true, 0, b.getLong());
            }
            if (key[0] == 'd' && key.length == 5) {
                return new Key(false, 0, b.getInt());
            }
        }
        throw new IllegalArgumentException("not a model-updates key: " + (key == null ? "null" : key.length + " bytes"
                + (key.length > 0 ? " starting with " + (key[0] & 0xFF) : "")));
    }

    /** A row value: its weights only (no optimizer state), with its chunk mask and precision. */
    public static byte[] row(float linear, float[] emb, int off, int dim, int chunkMask, int bits) {
        ByteBuffer b = ByteBuffer.allocate(13 + 4 * dim);
        b.put(VERSION).put(KIND_ROW).putShort((short) dim).putInt(chunkMask).put((byte) bits).putFloat(linear);
        for (int i = 0; i < dim; i++) {
            b.putFloat(emb[off + i]);
        }
        return b.array();
    }

    /** One chunk of the dense parameters, floats {@code [offset, offset + n)} of {@code total}. */
    public static byte[] dense(long modelVersion, float[] dense, int offset, int n) {
        return dense(modelVersion, dense, offset, n, dense.length);
    }

    /** One chunk of the first {@code total} floats of {@code dense}: floats {@code [offset, offset + n)}. */
    public static byte[] dense(long modelVersion, float[] dense, int offset, int n, int total) {
        if (offset < 0 || n < 0 || offset + n > total || total > dense.length) {
            throw new IllegalArgumentException("dense chunk [" + offset + ", " + (offset + n) + ") of " + total
                    + " floats does not fit an array of " + dense.length);
        }
        ByteBuffer b = ByteBuffer.allocate(14 + 4 * n);
        b.put(VERSION).put(KIND_DENSE).putInt((int) modelVersion).putInt(total).putInt(offset);
        for (int i = 0; i < n; i++) {
            b.putFloat(dense[offset + i]);
        }
        return b.array();
    }

    /** A decoded row update. */
    public record Row(int dim, int chunkMask, int bits, float linear, float[] embedding) {
    }

    public static Row decodeRow(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        checkHeader(b, KIND_ROW);
        int dim = b.getShort() & 0xFFFF;
        int mask = b.getInt();
        int bits = b.get() & 0xFF;
        float linear = b.getFloat();
        if (b.remaining() != 4 * dim) {
            throw new IllegalArgumentException("row update of dim " + dim + " has " + b.remaining() + " value bytes");
        }
        float[] emb = new float[dim];
        for (int i = 0; i < dim; i++) {
            emb[i] = b.getFloat();
        }
        return new Row(dim, mask, bits, linear, emb);
    }

    private static void checkHeader(ByteBuffer b, byte kind) {
        if (b.remaining() < 2) {
            throw new IllegalArgumentException("model update of " + b.remaining() + " bytes is truncated");
        }
        int v = b.get() & 0xFF;
        if (v != VERSION) {
            throw new IllegalArgumentException("model update format version " + v + " is not supported (this build reads "
                    + VERSION + ")");
        }
        int k = b.get();
        if (k != kind) {
            throw new IllegalArgumentException("expected model update kind " + kind + ", got " + k);
        }
    }
}
