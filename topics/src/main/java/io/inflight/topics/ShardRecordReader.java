package io.inflight.topics;

import java.nio.ByteBuffer;

/** Reads the fixed-width fields of one row-shard record ({@link RowShardCodec}); every failure says where. */
final class ShardRecordReader {
    final ByteBuffer b;
    final String kind;
    int pos;

    ShardRecordReader(byte[] value, byte format, String kind) {
        this.kind = kind;
        if (value == null || value.length == 0) {
            throw new MalformedShardRecordException(RejectReason.EMPTY, 0, "shard " + kind, "the record value is empty");
        }
        int f = value[0] & 0xFF;
        if (f != format) {
            throw new MalformedShardRecordException(RejectReason.UNKNOWN_VERSION, 0, "format byte", "shard " + kind
                    + " format " + f + " is not supported (this build reads " + format + ")");
        }
        this.b = ByteBuffer.wrap(value);
        this.pos = 1;
        b.position(1);
    }

    MalformedShardRecordException bad(int at, String field, String detail) {
        return new MalformedShardRecordException(RejectReason.BAD_SYNTAX, at, field, detail);
    }

    private void need(int bytes, String field) {
        if (b.remaining() < bytes) {
            throw new MalformedShardRecordException(RejectReason.TRUNCATED, pos, field, "the shard " + kind + " ends after "
                    + b.limit() + " bytes, " + bytes + " needed here and " + b.remaining() + " left");
        }
    }

    void skip(int bytes) {
        pos += bytes;
        b.position(pos);
    }

    long u64(String field) {
        need(8, field);
        pos += 8;
        return b.getLong();
    }

    int nonNegativeInt(String field) {
        need(4, field);
        int at = pos;
        pos += 4;
        int v = b.getInt();
        if (v < 0) {
            throw bad(at, field, Integer.toUnsignedString(v) + " is beyond 2^31 - 1");
        }
        return v;
    }

    long nonNegativeLong(String field) {
        int at = pos;
        long v = u64(field);
        if (v < 0) {
            throw bad(at, field, v + " is negative");
        }
        return v;
    }

    int stride() {
        need(2, "stride");
        int at = pos;
        pos += 2;
        int v = b.getShort() & 0xFFFF;
        if (v < 2) {
            throw bad(at, "stride", v + " is below 2 (D + 1 floats per key, D >= 1)");
        }
        return v;
    }

    /** A u32 count of items of {@code itemBytes} each, at most what the remaining bytes hold. */
    int count(String field, long itemBytes) {
        need(4, field);
        int at = pos;
        pos += 4;
        long n = b.getInt() & 0xFFFFFFFFL;
        if (n * itemBytes > b.remaining()) {
            throw new MalformedShardRecordException(RejectReason.TRUNCATED, at, field, n + " items of " + itemBytes
                    + " bytes need " + n * itemBytes + " bytes, " + b.remaining() + " left");
        }
        return (int) n;
    }

    long[] ascendingKeys(String field, int n) {
        long[] keys = new long[n];
        int at = pos;
        b.asLongBuffer().get(keys);
        skip(8 * n);
        int bad = RowShardCodec.firstUnordered(keys);
        if (bad >= 0) {
            throw bad(at + 8 * bad, field + "[" + bad + "]", keys[bad] + " does not follow " + keys[bad - 1]
                    + " (keys must be strictly ascending)");
        }
        return keys;
    }

    void end() {
        if (b.hasRemaining()) {
            throw new MalformedShardRecordException(RejectReason.TRAILING_BYTES, pos, "end of the shard " + kind,
                    b.remaining() + " bytes after the end of the record");
        }
    }
}
