package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The row-shard wire format: requests and replies round trip (with and without push and pull), every
 * rule is enforced both when a record is made and when bytes are decoded, and a malformed record's
 * error names its offset, its field and the matching dead-letter reason.
 */
class RowShardCodecTest {

    private static final long[] NONE = {};
    /** Offsets of the request's fixed fields. */
    private static final int TRAINER_AT = 1;
    private static final int BATCH_AT = 5;
    private static final int STRIDE_AT = 13;
    private static final int PUSH_BATCH_AT = 15;
    private static final int PUSH_STEP_AT = 23;
    private static final int PUSH_COUNT_AT = 31;
    private static final int PUSH_KEYS_AT = 35;

    /** Trainer 2's batch 9 at D = 2 (stride 3): a push of batch 7 (keys -5 and 40) and a pull of three keys. */
    private static ShardRequest full() {
        return new ShardRequest(2, 9L, 3, 7L, 123L, new long[] {-5L, 40L}, new int[] {1, 4},
                new float[] {0.5f, -1.25f, 0f, 3e-7f, -0f, 1e30f}, new long[] {Long.MIN_VALUE, 0L, Long.MAX_VALUE});
    }

    private static ShardRequest request(long pushBatch, long[] pushKeys, long[] pullKeys) {
        int[] acc = new int[pushKeys.length];
        Arrays.fill(acc, 2);
        float[] grads = new float[pushKeys.length * 3];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = i * 0.5f - 1f;
        }
        return new ShardRequest(0, 3L, 3, pushBatch, pushBatch < 0 ? 0 : 11L, pushKeys, acc, grads, pullKeys);
    }

    @Test
    void shouldRoundTripRequestsWithAndWithoutPushOrPull() {
        ShardRequest[] requests = {full(), request(-1, NONE, new long[] {4L}), request(2, NONE, new long[] {4L, 8L}),
            request(2, new long[] {1L, 2L}, NONE), request(-1, NONE, NONE), request(0, NONE, NONE)};
        for (ShardRequest r : requests) {
            byte[] bytes = RowShardCodec.encode(r);
            assertThat(bytes[0]).isEqualTo(RowShardCodec.FORMAT_REQUEST);
            assertThat(bytes).hasSize(35 + r.pushKeys().length * (12 + 4 * r.stride()) + 4 + 8 * r.pullKeys().length);
            ShardRequest back = RowShardCodec.decodeRequest(bytes);
            assertThat(back).as(r.toString()).isEqualTo(r);
            assertThat(back.hashCode()).isEqualTo(r.hashCode());
            assertThat(RowShardCodec.encode(back)).isEqualTo(bytes);
        }
        ShardRequest back = RowShardCodec.decodeRequest(RowShardCodec.encode(full()));
        assertThat(back.pushGrads()).containsExactly(0.5f, -1.25f, 0f, 3e-7f, -0f, 1e30f);
        assertThat(Float.floatToRawIntBits(back.pushGrads()[4])).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(back.pullKeys()).containsExactly(Long.MIN_VALUE, 0L, Long.MAX_VALUE);
        assertThat(back.hasPush()).isTrue();
        assertThat(RowShardCodec.decodeRequest(RowShardCodec.encode(request(-1, NONE, NONE))).hasPush()).isFalse();
    }

    @Test
    void shouldRoundTripReplies() {
        ShardReply[] replies = {new ShardReply(1, 2, 9L, 3, new long[] {-1L, 6L}, new byte[][] {{1, 2, 3}, {}}),
            new ShardReply(1, 2, 9L, 3, new long[] {6L}, new byte[][] {{}}, new long[] {Long.MIN_VALUE, 6L, 9L}),
            new ShardReply(0, 0, 0L, 2, NONE, new byte[0][]), new ShardReply(65_000, Integer.MAX_VALUE, Long.MAX_VALUE,
                RowShardCodec.MAX_STRIDE, new long[] {3L}, new byte[][] {new byte[70_000]})};
        for (ShardReply r : replies) {
            byte[] bytes = RowShardCodec.encode(r);
            assertThat(bytes[0]).isEqualTo(RowShardCodec.FORMAT_REPLY);
            assertThat(bytes).hasSize(27 + r.keys().length * 12 + Arrays.stream(r.rows()).mapToInt(x -> x.length).sum()
                    + 8 * r.evicted().length);
            assertThat(RowShardCodec.decodeReply(bytes)).as(r.toString()).isEqualTo(r);
        }
    }

    @Test
    void shouldRefuseToMakeAnInvalidRequest() {
        long[] k = {1L};
        int[] a = {1};
        float[] g = {1f, 2f, 3f};
        refuse(() -> new ShardRequest(-1, 3, 3, 1, 1, k, a, g, NONE), "trainer -1");
        refuse(() -> new ShardRequest(0, -3, 3, -1, 0, NONE, new int[0], new float[0], NONE), "batch -3");
        refuse(() -> new ShardRequest(0, 3, 1, -1, 0, NONE, new int[0], new float[0], NONE), "stride 1");
        refuse(() -> new ShardRequest(0, 3, 65_536, -1, 0, NONE, new int[0], new float[0], NONE), "stride 65536");
        refuse(() -> new ShardRequest(0, 3, 3, -2, 0, NONE, new int[0], new float[0], NONE), "push batch -2");
        refuse(() -> new ShardRequest(0, 3, 3, 3, 1, k, a, g, NONE), "push batch 3");
        refuse(() -> new ShardRequest(0, 3, 3, 1, -1, k, a, g, NONE), "push step -1");
        refuse(() -> new ShardRequest(0, 3, 3, -1, 5, NONE, new int[0], new float[0], NONE), "push step 5");
        refuse(() -> new ShardRequest(0, 3, 3, -1, 0, k, a, g, NONE), "1 push keys without a push");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, new int[2], g, NONE), "need 1 accesses and 3 gradients");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, a, new float[4], NONE), "got 1 and 4");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, new long[] {2L, 1L}, new int[2], new float[6], NONE),
                "push keys[1] = 1 does not follow 2");
        refuse(() -> new ShardRequest(0, 3, 3, -1, 0, NONE, new int[0], new float[0], new long[] {4L, 4L}),
                "pull keys[1] = 4 does not follow 4");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, new int[] {-1}, g, NONE), "push accesses[0] = -1");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, a, new float[] {1f, Float.NaN, 0f}, NONE), "NaN of key 1 (dimension 1)");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, a, new float[] {1f, 0f, Float.NEGATIVE_INFINITY}, NONE),
                "-Infinity of key 1 (dimension 2)");
        refuse(() -> new ShardRequest(0, 3, 3, 1, 1, k, a, g, null), "must not be null");
    }

    @Test
    void shouldRefuseToMakeAnInvalidReply() {
        refuse(() -> new ShardReply(-1, 0, 0, 2, NONE, new byte[0][]), "shard -1");
        refuse(() -> new ShardReply(0, -2, 0, 2, NONE, new byte[0][]), "trainer -2");
        refuse(() -> new ShardReply(0, 0, 0, 2, new long[] {1L}, new byte[2][]), "1 keys need 1 rows, got 2");
        refuse(() -> new ShardReply(0, 0, 0, 2, new long[] {1L}, new byte[1][]), "row 0 is null");
        refuse(() -> new ShardReply(0, 0, 0, 2, new long[] {1L, -1L}, new byte[][] {{}, {}}), "keys[1] = -1 does not follow 1");
        refuse(() -> new ShardReply(0, 0, 0, 2, null, new byte[0][]), "must not be null");
    }

    private static void refuse(ThrowingCallable make, String message) {
        assertThatThrownBy(make).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
    }

    @Test
    void shouldRejectEmptyUnknownTruncatedAndTrailingRecords() {
        rejects(null, RejectReason.EMPTY, "offset 0", "empty");
        rejects(new byte[0], RejectReason.EMPTY, "offset 0", "empty");
        byte[] reply = RowShardCodec.encode(new ShardReply(0, 0, 0L, 2, NONE, new byte[0][]));
        rejects(reply, RejectReason.UNKNOWN_VERSION, "format byte at offset 0", "format 4 is not supported");
        byte[] older = reply.clone();
        older[0] = 3; // a reply of the format before evicted keys: read no more
        assertThatThrownBy(() -> RowShardCodec.decodeReply(older)).isInstanceOf(MalformedShardRecordException.class)
                .hasMessageContaining("format 3 is not supported (this build reads 4)");
        assertThatThrownBy(() -> new ShardReply(0, 0, 0L, 2, NONE, new byte[0][], new long[] {2L, 1L}))
                .hasMessageContaining("evicted keys[1] = 1");
        byte[] bytes = RowShardCodec.encode(full());
        for (int len = 1; len < bytes.length; len++) { // every prefix is truncated, and says so
            rejects(Arrays.copyOf(bytes, len), RejectReason.TRUNCATED, "offset", "left");
        }
        rejects(Arrays.copyOf(bytes, bytes.length + 1), RejectReason.TRAILING_BYTES, "offset " + bytes.length,
                "1 bytes after the end");
        for (int len = 1; len < reply.length; len++) {
            byte[] prefix = Arrays.copyOf(reply, len);
            assertThatThrownBy(() -> RowShardCodec.decodeReply(prefix)).isInstanceOf(MalformedShardRecordException.class)
                    .hasMessageContaining("left");
        }
        assertThatThrownBy(() -> RowShardCodec.decodeReply(RowShardCodec.encode(full())))
                .isInstanceOf(MalformedShardRecordException.class).hasMessageContaining("format 1 is not supported");
    }

    @Test
    void shouldRejectEveryBadFieldNamingItsOffset() {
        rejects(with(b -> b.putInt(TRAINER_AT, -7)), RejectReason.BAD_SYNTAX, "trainer at offset 1", "4294967289");
        rejects(with(b -> b.putLong(BATCH_AT, -9L)), RejectReason.BAD_SYNTAX, "batch at offset 5", "-9 is negative");
        rejects(with(b -> b.putShort(STRIDE_AT, (short) 1)), RejectReason.BAD_SYNTAX, "stride at offset 13", "1 is below 2");
        rejects(with(b -> b.putLong(PUSH_BATCH_AT, -2L)), RejectReason.BAD_SYNTAX, "push batch at offset 15", "-2");
        rejects(with(b -> b.putLong(PUSH_BATCH_AT, 9L)), RejectReason.BAD_SYNTAX, "push batch at offset 15", "[0, batch 9)");
        rejects(with(b -> b.putLong(PUSH_STEP_AT, -1L)), RejectReason.BAD_SYNTAX, "push step at offset 23", "-1 is negative");
        byte[] noPush = RowShardCodec.encode(request(-1, NONE, new long[] {4L}));
        ByteBuffer.wrap(noPush).putLong(PUSH_STEP_AT, 3L);
        rejects(noPush, RejectReason.BAD_SYNTAX, "push step at offset 23", "3 without a push");
        // a push count without a push: the bytes of one pushed key replace the pull
        byte[] keysNoPush = RowShardCodec.encode(full());
        ByteBuffer.wrap(keysNoPush).putLong(PUSH_BATCH_AT, -1L).putLong(PUSH_STEP_AT, 0L);
        rejects(keysNoPush, RejectReason.BAD_SYNTAX, "push count at offset 31", "2 keys without a push");
        rejects(with(b -> b.putLong(PUSH_KEYS_AT + 8, -5L)), RejectReason.BAD_SYNTAX, "push keys[1] at offset 43",
                "-5 does not follow -5");
        rejects(with(b -> b.putInt(PUSH_KEYS_AT + 16 + 4, -3)), RejectReason.BAD_SYNTAX, "push accesses[1] at offset 55",
                "-3 is negative");
        int gradsAt = PUSH_KEYS_AT + 16 + 8;
        rejects(with(b -> b.putFloat(gradsAt + 4 * 4, Float.POSITIVE_INFINITY)), RejectReason.NON_FINITE,
                "push gradient of key 40 (push keys[1], dimension 1) at offset " + (gradsAt + 16), "Infinity is not finite");
        int pullAt = gradsAt + 24 + 4;
        rejects(with(b -> b.putLong(pullAt + 16, 0L)), RejectReason.BAD_SYNTAX, "pull keys[2] at offset " + (pullAt + 16),
                "0 does not follow 0");
        byte[] reply = RowShardCodec.encode(new ShardReply(3, 1, 2L, 2, new long[] {5L, 9L}, new byte[][] {{7}, {}}));
        ByteBuffer.wrap(reply).putInt(1, -1);
        assertThatThrownBy(() -> RowShardCodec.decodeReply(reply)).isInstanceOf(MalformedShardRecordException.class)
                .hasMessageContaining("shard at offset 1");
        ByteBuffer.wrap(reply).putInt(1, 3).putLong(23 + 8, 5L);
        assertThatThrownBy(() -> RowShardCodec.decodeReply(reply)).isInstanceOf(MalformedShardRecordException.class)
                .hasMessageContaining("keys[1] at offset 31");
    }

    @Test
    void shouldBoundCountsByTheBytesLeftBeforeAllocating() {
        rejects(with(b -> b.putInt(PUSH_COUNT_AT, -1)), RejectReason.TRUNCATED, "push count at offset 31",
                "4294967295 items of 24 bytes need 103079215080 bytes");
        byte[] pullOnly = RowShardCodec.encode(request(-1, NONE, NONE));
        ByteBuffer.wrap(pullOnly).putInt(pullOnly.length - 4, Integer.MAX_VALUE);
        rejects(pullOnly, RejectReason.TRUNCATED, "pull count at offset " + (pullOnly.length - 4), "0 left");
        byte[] reply = RowShardCodec.encode(new ShardReply(0, 0, 0L, RowShardCodec.MAX_STRIDE, NONE, new byte[0][]));
        ByteBuffer.wrap(reply).putInt(19, -1);
        assertThatThrownBy(() -> RowShardCodec.decodeReply(reply)).isInstanceOf(MalformedShardRecordException.class)
                .hasMessageContaining("key count at offset 19");
    }

    private interface Patch {
        void apply(ByteBuffer b);
    }

    /** {@link #full()}'s bytes with one patch. */
    private static byte[] with(Patch patch) {
        byte[] bytes = RowShardCodec.encode(full());
        patch.apply(ByteBuffer.wrap(bytes));
        return bytes;
    }

    private static void rejects(byte[] bytes, RejectReason reason, String where, String what) {
        assertThatThrownBy(() -> RowShardCodec.decodeRequest(bytes)).isInstanceOf(MalformedShardRecordException.class)
                .hasMessageContaining(where).hasMessageContaining(what)
                .satisfies(e -> assertThat(((MalformedShardRecordException) e).reason()).isEqualTo(reason));
    }
}
