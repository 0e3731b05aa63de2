package io.inflight.topics;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The wire format of {@code <prefix>.model-updates} (compacted: the latest record per key is the
 * current value, so a serving replica can rebuild the model by reading the topic from the start).
 *
 * <p>Keys: {@code 'r' + u32 model + u64 row key} for an embedding row, {@code 'd' + u32 model + u32
 * chunk index} for a chunk of the dense parameters, {@code 's' + u32 model + u32 chunk index} for a
 * chunk of the shared hashed rows, {@code 'g' + u32 model} for their per-field gates (with H and the
 * chunk layout). {@code model} is the partition of the trainer task that published it: 0 for the
 * one model of {@code inflight.topology.models=one}; with per-partition, each clicks partition trains
 * its own model replica, and a serving replica follows one of them. (Keys written before the model was in them, {@code 'r' + u64} and
 * {@code 'd' + u32}, read as model 0.) Values (version 1, big-endian):
 * <pre>
 * row:   u8 version=1 | u8 kind=1 | u16 dim D | u32 chunk mask | u8 bits | f32 linear | D × f32 embedding
 * dense: u8 version=1 | u8 kind=2 | u32 model version (batches trained) | u32 total floats | u32 offset | n × f32
 * shared: u8 version=1 | u8 kind=3 | u32 model version | u32 H | u16 dim D | u32 first row | n × (D × f32, f32 linear)
 * gates:  u8 version=1 | u8 kind=4 | u32 model version | u32 H | u16 dim D | u8 chunks K | K × u16 chunk width
 *         | u16 gated fields F | F × f32 gate
 * </pre>
 * A shared chunk holds rows {@code [first, first + n)} of a table of H rows ({@code hash(key) mod H}):
 * H may double or halve between publications, so a replica keeps the H of the newest model version
 * and drops chunks of another H that are older (see {@link #sharedChunk}). F is 0 when the shared rows
 * are read ungated (mode hash), else the number of model fields.
 * The dense floats are the model's parameters in export order, {@code total} of them (earlier
 * trainers also sent the optimizer state after them, counted in {@code total}; replicas accept both).
 * A null value (tombstone) for a row key means the row was evicted: it reads as zeros.
 * Unknown versions or kinds are rejected with the version in the message.
 */
public final class ModelUpdateCodec {

    public static final byte VERSION = 1;
    public static final byte KIND_ROW = 1;
    public static final byte KIND_DENSE = 2;
    public static final byte KIND_SHARED = 3;
    public static final byte KIND_GATES = 4;

    private ModelUpdateCodec() {
    }

    /** What a model-updates key names. */
    public enum Kind {
        /** An embedding row; the id is its row key. */
        ROW,
        /** A chunk of the dense parameters; the id is the chunk index. */
        DENSE,
        /** A chunk of the shared hashed rows; the id is the chunk index. */
        SHARED,
        /** The shared rows' gates; the id is 0. */
        GATES
    }

    /** What a model-updates key names: a {@link Kind} ({@code id}) of model {@code model}. */
    public record Key(Kind kind, int model, long id) {

        /** A row ({@code row}) or a dense chunk. */
        public Key(boolean row, int model, long id) {
            this(row ? Kind.ROW : Kind.DENSE, model, id);
        }

        public boolean row() {
            return kind == Kind.ROW;
        }
    }

    public static byte[] rowKey(int model, long key) {
        return ByteBuffer.allocate(13).put((byte) 'r').putInt(model).putLong(key).array();
    }

    public static byte[] denseKey(int model, int chunk) {
        return ByteBuffer.allocate(9).put((byte) 'd').putInt(model).putInt(chunk).array();
    }

    /** The key of chunk {@code chunk} of model {@code model}'s shared hashed rows. */
    public static byte[] sharedKey(int model, int chunk) {
        return ByteBuffer.allocate(9).put((byte) 's').putInt(model).putInt(chunk).array();
    }

    /** The key of model {@code model}'s shared-row gates. */
    public static byte[] gatesKey(int model) {
        return ByteBuffer.allocate(5).put((byte) 'g').putInt(model).array();
    }

    /**
     * Parses a key of any layout.
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
            if (key[0] == 's' && key.length == 9) {
                return new Key(Kind.SHARED, b.getInt(), b.getInt());
            }
            if (key[0] == 'g' && key.length == 5) {
                return new Key(Kind.GATES, b.getInt(), 0);
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

    /**
     * A chunk of shared hashed rows: {@code n} rows from {@code firstRow} of a table of {@code tableRows}
     * (H), each D values then its linear weight, taken from {@code rows[off ..]} (stride D + 1).
     */
    public static byte[] sharedChunk(long modelVersion, int tableRows, int dim, int firstRow, int n, float[] rows, int off) {
        if (firstRow < 0 || n < 0 || (long) firstRow + n > tableRows) {
            throw new IllegalArgumentException("shared rows [" + firstRow + ", " + ((long) firstRow + n)
                    + ") do not fit a table of " + tableRows);
        }
        int floats = n * (dim + 1);
        ByteBuffer b = ByteBuffer.allocate(16 + 4 * floats);
        b.put(VERSION).put(KIND_SHARED).putInt((int) modelVersion).putInt(tableRows).putShort((short) dim).putInt(firstRow);
        for (int i = 0; i < floats; i++) {
            b.putFloat(rows[off + i]);
        }
        return b.array();
    }

    /** A decoded shared chunk: rows {@code [firstRow, firstRow + n)} of H, {@code values} with stride D + 1. */
    public record SharedChunk(long modelVersion, int tableRows, int dim, int firstRow, float[] values) {

        /** The rows it holds. */
        public int n() {
            return values.length / (dim + 1);
        }
    }

    public static SharedChunk decodeSharedChunk(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        checkHeader(b, KIND_SHARED);
        if (b.remaining() < 14) {
            throw new IllegalArgumentException("shared rows update of " + value.length + " bytes is truncated");
        }
        long version = b.getInt() & 0xFFFFFFFFL;
        int h = b.getInt();
        int dim = b.getShort() & 0xFFFF;
        int first = b.getInt();
        int rowBytes = 4 * (dim + 1);
        if (b.remaining() % rowBytes != 0) {
            throw new IllegalArgumentException("shared rows update of dim " + dim + " has " + b.remaining()
                    + " value bytes, not a multiple of " + rowBytes);
        }
        float[] values = new float[b.remaining() / 4];
        int n = values.length / (dim + 1);
        if (h < 1 || first < 0 || (long) first + n > h) {
            throw new IllegalArgumentException("shared rows [" + first + ", " + ((long) first + n) + ") do not fit a table of "
                    + h);
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = b.getFloat();
        }
        return new SharedChunk(version, h, dim, first, values);
    }

    /**
     * The gates of the shared rows (one per model field, none when they are read ungated), with H
     * and the store's chunk widths (a stored row's pruned chunk reads its shared row's dimensions).
     */
    public static byte[] gates(long modelVersion, int tableRows, int dim, int[] chunkWidths, float[] gates) {
        ByteBuffer b = ByteBuffer.allocate(15 + 2 * chunkWidths.length + 4 * gates.length);
        b.put(VERSION).put(KIND_GATES).putInt((int) modelVersion).putInt(tableRows).putShort((short) dim)
                .put((byte) chunkWidths.length);
        for (int w : chunkWidths) {
            b.putShort((short) w);
        }
        b.putShort((short) gates.length);
        for (float g : gates) {
            b.putFloat(g);
        }
        return b.array();
    }

    /** Decoded gates: see {@link #gates}. */
    public record Gates(long modelVersion, int tableRows, int dim, int[] chunkWidths, float[] gates) {
    }

    public static Gates decodeGates(byte[] value) {
        ByteBuffer b = ByteBuffer.wrap(value);
        checkHeader(b, KIND_GATES);
        try {
            long version = b.getInt() & 0xFFFFFFFFL;
            int h = b.getInt();
            int dim = b.getShort() & 0xFFFF;
            int[] widths = new int[b.get() & 0xFF];
            int sum = 0;
            for (int c = 0; c < widths.length; c++) {
                widths[c] = b.getShort() & 0xFFFF;
                sum += widths[c];
            }
            float[] gates = new float[b.getShort() & 0xFFFF];
            for (int f = 0; f < gates.length; f++) {
                gates[f] = b.getFloat();
            }
            if (b.hasRemaining() || h < 1 || sum != dim) {
                throw new IllegalArgumentException("gates update for H = " + h + ", D = " + dim + ", chunk widths summing to "
                        + sum + ", has " + b.remaining() + " bytes left over");
            }
            return new Gates(version, h, dim, widths, gates);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("gates update of " + value.length + " bytes is truncated");
        }
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
