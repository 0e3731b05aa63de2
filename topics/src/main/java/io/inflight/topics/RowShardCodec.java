package io.inflight.topics;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The wire format of the row-shard topics (issue 16): a trainer task's {@link ShardRequest} to row
 * shard {@code s} on {@code row-requests} (partition s), and the shard's {@link ShardReply} on
 * {@code row-replies} (keyed by the trainer). Per batch and shard a trainer sends one request: the
 * pull (the batch's distinct keys of that shard) and, piggybacked, the push (the summed row
 * gradients of an earlier batch of that shard); the shard applies the push, then answers the pull
 * with one reply holding the rows.
 *
 * <p>Values, big-endian, fixed width (the topics are meant to be compressed):
 * <pre>
 * request: u8 format=1 | u32 trainer | u64 batch | u16 stride | u64 push batch (-1: no push) | u64 push step
 *          | u32 n | n × u64 push key | n × u32 accesses | n × stride × f32 gradient | u32 m | m × u64 pull key
 * reply:   u8 format=4 | u32 shard | u32 trainer | u64 batch | u16 stride | u32 n | n × u64 key
 *          | n × (u32 length | length bytes: the row as the store encodes it, RowCodec; empty: not stored)
 *          | u32 e | e × u64 key the shard evicted while it handled the request (format 3 had none)
 * </pre>
 * The leading byte names both the layout and the kind; a later layout takes a new number and this
 * build rejects numbers it does not know. A stride is D + 1 floats per key (D embedding values, then
 * the linear weight, as in the store's gather and scatter buffers), in [2, 65535].
 *
 * <p>Both directions are checked, so every record that encodes decodes to an equal record and the
 * encoding is canonical: trainer, shard and batch are non-negative; the push batch is -1 (then
 * the push step is 0 and there are no push keys) or in [0, batch); the push step and accesses are
 * non-negative; keys are strictly ascending (signed order, so distinct); every push gradient is
 * finite. Constructing an invalid record throws {@link IllegalArgumentException}; decoding bad bytes
 * throws {@link MalformedShardRecordException} naming the offset and field, and nothing else: counts
 * are bounded by the bytes that remain before anything is allocated. Stateless; thread-safe.
 */
public final class RowShardCodec {

    /** The leading byte of a request. */
    public static final byte FORMAT_REQUEST = 1;
    /** The leading byte of a reply. */
    public static final byte FORMAT_REPLY = 4;
    /** The largest stride the u16 field carries. */
    public static final int MAX_STRIDE = 0xFFFF;

    /** The bytes of a request without keys: the header and both counts. */
    private static final int REQUEST_FIXED = 1 + 4 + 8 + 2 + 8 + 8 + 4 + 4;
    private static final int REPLY_HEADER = 1 + 4 + 4 + 8 + 2 + 4 + 4;

    private RowShardCodec() {
    }

    /**
     * A trainer's request to one row shard for batch {@code batch}: apply the push (the summed
     * gradients of its earlier batch {@code pushBatch}, at training step {@code pushStep}), then
     * answer the pull. Arrays are held as given (not copied): do not change them afterwards.
     *
     * @param trainer      the trainer task's number (its clicks partition), &gt;= 0
     * @param batch        the trainer's batch number, &gt;= 0
     * @param stride       floats per key in {@code pushGrads}: D + 1, in [2, 65535]
     * @param pushBatch    the batch the push belongs to, in [0, batch); -1: no push
     * @param pushStep     the training step the store applies the push at (its stochastic rounding is keyed by it)
     * @param pushKeys     keys pushed, strictly ascending; empty without a push
     * @param pushAccesses per pushed key, its occurrences in the batch, &gt;= 0
     * @param pushGrads    per pushed key, {@code stride} summed gradients (D values, then the linear weight), finite
     * @param pullKeys     keys whose rows are wanted, strictly ascending; may be empty
     * @throws IllegalArgumentException naming the field and value when any of that does not hold
     */
    public record ShardRequest(int trainer, long batch, int stride, long pushBatch, long pushStep, long[] pushKeys,
                               int[] pushAccesses, float[] pushGrads, long[] pullKeys) {

        public ShardRequest {
            String error = requestError(trainer, batch, stride, pushBatch, pushStep, pushKeys, pushAccesses, pushGrads,
                    pullKeys);
            if (error != null) {
                throw new IllegalArgumentException("shard request of trainer " + trainer + ", batch " + batch + ": " + error);
            }
        }

        /** Whether it carries a push ({@link #pushBatch} &gt;= 0; the push may have no keys). */
        public boolean hasPush() {
            return pushBatch >= 0;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShardRequest r && trainer == r.trainer && batch == r.batch && stride == r.stride
                    && pushBatch == r.pushBatch && pushStep == r.pushStep && Arrays.equals(pushKeys, r.pushKeys)
                    && Arrays.equals(pushAccesses, r.pushAccesses) && Arrays.equals(pushGrads, r.pushGrads)
                    && Arrays.equals(pullKeys, r.pullKeys);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Long.hashCode(batch) + trainer) + Arrays.hashCode(pullKeys) + 7 * Arrays.hashCode(pushKeys);
        }

        @Override
        public String toString() {
            return "ShardRequest[trainer " + trainer + ", batch " + batch + ", stride " + stride + ", push "
                    + (hasPush() ? "of batch " + pushBatch + " at step " + pushStep + ", " + pushKeys.length + " keys" : "none")
                    + ", pull " + pullKeys.length + " keys]";
        }
    }

    /**
     * A shard's answer to a request: the rows of its pull keys, as the shard held them after
     * applying the request's push, each in the store's whole encoded form (values at their
     * precisions, utilities, optimizer state, counters: {@code RowCodec}), so the trainer can go on
     * updating it exactly as the shard does. Arrays are held as given (not copied).
     *
     * @param shard   the shard's number, &gt;= 0
     * @param trainer the trainer that asked, &gt;= 0
     * @param batch   the batch of the request, &gt;= 0
     * @param stride  the trainer's floats per key (D + 1), in [2, 65535], echoed
     * @param keys    the request's pull keys, strictly ascending
     * @param rows    per key, its encoded row; an empty array when the shard has no row for it
     * @param evicted the keys the shard evicted while it handled the request, strictly ascending: the
     *                trainer forgets its copies (the shard drops their gradients still in flight)
     * @throws IllegalArgumentException naming the field and value when any of that does not hold
     */
    public record ShardReply(int shard, int trainer, long batch, int stride, long[] keys, byte[][] rows, long[] evicted) {

        public ShardReply {
            String error = replyError(shard, trainer, batch, stride, keys, rows, evicted);
            if (error != null) {
                throw new IllegalArgumentException("shard reply of shard " + shard + " to trainer " + trainer + ", batch "
                        + batch + ": " + error);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShardReply r && shard == r.shard && trainer == r.trainer && batch == r.batch
                    && stride == r.stride && Arrays.equals(keys, r.keys) && Arrays.deepEquals(rows, r.rows)
                    && Arrays.equals(evicted, r.evicted);
        }

        /** A reply that names no evicted key. */
        public ShardReply(int shard, int trainer, long batch, int stride, long[] keys, byte[][] rows) {
            this(shard, trainer, batch, stride, keys, rows, new long[0]);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * (31 * Long.hashCode(batch) + trainer) + shard) + Arrays.hashCode(keys);
        }

        @Override
        public String toString() {
            return "ShardReply[shard " + shard + ", trainer " + trainer + ", batch " + batch + ", stride " + stride + ", "
                    + keys.length + " keys, " + evicted.length + " evicted]";
        }
    }

    // ---- encoding -------------------------------------------------------------------------------

    /** The bytes of {@code r} (a valid request, so they always decode to an equal one). */
    public static byte[] encode(ShardRequest r) {
        int n = r.pushKeys().length;
        int m = r.pullKeys().length;
        ByteBuffer b = ByteBuffer.allocate(size(REQUEST_FIXED, (long) n * (12 + 4L * r.stride()) + 8L * m));
        b.put(FORMAT_REQUEST).putInt(r.trainer()).putLong(r.batch()).putShort((short) r.stride()).putLong(r.pushBatch())
                .putLong(r.pushStep()).putInt(n);
        putLongs(b, r.pushKeys());
        b.asIntBuffer().put(r.pushAccesses());
        b.position(b.position() + 4 * n);
        putFloats(b, r.pushGrads());
        b.putInt(m);
        putLongs(b, r.pullKeys());
        return b.array();
    }

    /** The bytes of {@code r} (a valid reply, so they always decode to an equal one). */
    public static byte[] encode(ShardReply r) {
        int n = r.keys().length;
        long rowBytes = 0;
        for (byte[] row : r.rows()) {
            rowBytes += 4 + row.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size(REPLY_HEADER, 8L * n + rowBytes + 8L * r.evicted().length));
        b.put(FORMAT_REPLY).putInt(r.shard()).putInt(r.trainer()).putLong(r.batch()).putShort((short) r.stride()).putInt(n);
        putLongs(b, r.keys());
        for (byte[] row : r.rows()) {
            b.putInt(row.length).put(row);
        }
        b.putInt(r.evicted().length);
        putLongs(b, r.evicted());
        return b.array();
    }

    private static int size(int header, long body) {
        if (header + body > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a shard record of " + (header + body) + " bytes does not fit an array");
        }
        return (int) (header + body);
    }

    private static void putLongs(ByteBuffer b, long[] v) {
        b.asLongBuffer().put(v);
        b.position(b.position() + 8 * v.length);
    }

    private static void putFloats(ByteBuffer b, float[] v) {
        b.asFloatBuffer().put(v);
        b.position(b.position() + 4 * v.length);
    }

    // ---- decoding -------------------------------------------------------------------------------

    /**
     * Decodes a request.
     *
     * @throws MalformedShardRecordException naming the offset and field of what is wrong
     */
    public static ShardRequest decodeRequest(byte[] value) {
        ShardRecordReader r = new ShardRecordReader(value, FORMAT_REQUEST, "request");
        int trainer = r.nonNegativeInt("trainer");
        long batch = r.nonNegativeLong("batch");
        int stride = r.stride();
        int at = r.pos;
        long pushBatch = r.u64("push batch");
        if (pushBatch < -1 || pushBatch >= batch) {
            throw r.bad(at, "push batch", pushBatch + " is neither -1 (no push) nor in [0, batch " + batch + ")");
        }
        at = r.pos;
        long pushStep = r.nonNegativeLong("push step");
        if (pushBatch == -1 && pushStep != 0) {
            throw r.bad(at, "push step", pushStep + " without a push (it must be 0)");
        }
        at = r.pos;
        int n = r.count("push count", 12 + 4L * stride);
        if (pushBatch == -1 && n != 0) {
            throw r.bad(at, "push count", n + " keys without a push (push batch -1)");
        }
        long[] pushKeys = r.ascendingKeys("push keys", n);
        int[] accesses = new int[n];
        at = r.pos;
        r.b.asIntBuffer().get(accesses);
        r.skip(4 * n);
        int bad = firstNegative(accesses);
        if (bad >= 0) {
            throw r.bad(at + 4 * bad, "push accesses[" + bad + "]", accesses[bad] + " is negative");
        }
        float[] grads = new float[n * stride];
        at = r.pos;
        r.b.asFloatBuffer().get(grads);
        r.skip(4 * grads.length);
        bad = firstNonFinite(grads);
        if (bad >= 0) {
            throw new MalformedShardRecordException(RejectReason.NON_FINITE, at + 4 * bad, "push gradient of key "
                    + pushKeys[bad / stride] + " (push keys[" + bad / stride + "], dimension " + bad % stride + ")",
                    grads[bad] + " is not finite");
        }
        int m = r.count("pull count", 8);
        long[] pullKeys = r.ascendingKeys("pull keys", m);
        r.end();
        return new ShardRequest(trainer, batch, stride, pushBatch, pushStep, pushKeys, accesses, grads, pullKeys);
    }

    /**
     * Decodes a reply.
     *
     * @throws MalformedShardRecordException naming the offset and field of what is wrong
     */
    public static ShardReply decodeReply(byte[] value) {
        ShardRecordReader r = new ShardRecordReader(value, FORMAT_REPLY, "reply");
        int shard = r.nonNegativeInt("shard");
        int trainer = r.nonNegativeInt("trainer");
        long batch = r.nonNegativeLong("batch");
        int stride = r.stride();
        int n = r.count("key count", 8 + 4L);
        long[] keys = r.ascendingKeys("keys", n);
        byte[][] rows = new byte[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = new byte[r.count("row " + i + " length", 1)];
            r.b.get(rows[i]);
            r.skip(rows[i].length);
        }
        long[] evicted = r.ascendingKeys("evicted keys", r.count("evicted count", 8));
        r.end();
        return new ShardReply(shard, trainer, batch, stride, keys, rows, evicted);
    }

    // ---- checks shared by the records and the decoders -------------------------------------------

    private static String requestError(int trainer, long batch, int stride, long pushBatch, long pushStep, long[] pushKeys,
                                       int[] pushAccesses, float[] pushGrads, long[] pullKeys) {
        String error = headerError(trainer, batch, stride);
        if (error != null) {
            return error;
        }
        if (pushKeys == null || pushAccesses == null || pushGrads == null || pullKeys == null) {
            return "push keys, accesses, gradients and pull keys must not be null (use empty arrays)";
        }
        if (pushBatch < -1 || pushBatch >= batch) {
            return "push batch " + pushBatch + " is neither -1 (no push) nor in [0, batch " + batch + ")";
        }
        if (pushStep < 0 || pushBatch == -1 && pushStep != 0) {
            return "push step " + pushStep + " must be >= 0, and 0 without a push";
        }
        int n = pushKeys.length;
        if (pushBatch == -1 && n != 0) {
            return n + " push keys without a push (push batch -1)";
        }
        if (pushAccesses.length != n || (long) pushGrads.length != (long) n * stride) {
            return n + " push keys need " + n + " accesses and " + (long) n * stride + " gradients (stride " + stride
                    + "), got " + pushAccesses.length + " and " + pushGrads.length;
        }
        error = keysError("push keys", pushKeys);
        if (error == null) {
            error = keysError("pull keys", pullKeys);
        }
        if (error != null) {
            return error;
        }
        int bad = firstNegative(pushAccesses);
        if (bad >= 0) {
            return "push accesses[" + bad + "] = " + pushAccesses[bad] + " is negative";
        }
        bad = firstNonFinite(pushGrads);
        if (bad >= 0) {
            return "push gradient " + pushGrads[bad] + " of key " + pushKeys[bad / stride] + " (dimension " + bad % stride
                    + ") is not finite";
        }
        return null;
    }

    private static String replyError(int shard, int trainer, long batch, int stride, long[] keys, byte[][] rows,
                                     long[] evicted) {
        if (shard < 0) {
            return "shard " + shard + " is negative";
        }
        String error = headerError(trainer, batch, stride);
        if (error != null) {
            return error;
        }
        if (keys == null || rows == null || evicted == null) {
            return "keys, rows and evicted keys must not be null (use empty arrays)";
        }
        if (rows.length != keys.length) {
            return keys.length + " keys need " + keys.length + " rows, got " + rows.length;
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i] == null) {
                return "row " + i + " is null (an empty array: not stored)";
            }
        }
        error = keysError("keys", keys);
        return error != null ? error : keysError("evicted keys", evicted);
    }

    private static String headerError(int trainer, long batch, int stride) {
        if (trainer < 0) {
            return "trainer " + trainer + " is negative";
        }
        if (batch < 0) {
            return "batch " + batch + " is negative";
        }
        if (stride < 2 || stride > MAX_STRIDE) {
            return "stride " + stride + " is not in [2, " + MAX_STRIDE + "] (D + 1 floats per key)";
        }
        return null;
    }

    private static String keysError(String field, long[] keys) {
        int bad = firstUnordered(keys);
        return bad < 0 ? null : field + "[" + bad + "] = " + keys[bad] + " does not follow " + keys[bad - 1]
                + " (keys must be strictly ascending)";
    }

    /** The first index whose key is not above the one before it, or -1. */
    static int firstUnordered(long[] keys) {
        for (int i = 1; i < keys.length; i++) {
            if (keys[i] <= keys[i - 1]) {
                return i;
            }
        }
        return -1;
    }

    private static int firstNegative(int[] v) {
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0) {
                return i;
            }
        }
        return -1;
    }

    private static int firstNonFinite(float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                return i;
            }
        }
        return -1;
    }
}
