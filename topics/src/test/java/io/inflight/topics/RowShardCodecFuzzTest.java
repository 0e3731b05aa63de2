package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of the row-shard decoders, as {@link CodecFuzzTest} does for events: mutated
 * requests and replies go through both {@link RowShardCodec#decodeRequest} and
 * {@link RowShardCodec#decodeReply}. Each either decodes to a valid record, which re-encodes to as
 * many bytes and decodes equal, or throws {@link MalformedShardRecordException} with a reason and an
 * offset; nothing else may escape (no other exception; no out-of-memory: a count beyond the bytes left is
 * rejected before any array is made).
 *
 * <p>Record {@code i} depends on (seed, i) only: a failure names both and its hex, replayed alone
 * with {@code -Dinflight.fuzz.seed=s -Dinflight.fuzz.from=i -Dinflight.fuzz.records=1}.
 */
class RowShardCodecFuzzTest {

    static final int DEFAULT_RECORDS = 100_000;

    private final long seed = Long.getLong("inflight.fuzz.seed", 20_261_201L);
    private final long from = Long.getLong("inflight.fuzz.from", 0L);
    private final long records = Long.getLong("inflight.fuzz.records", DEFAULT_RECORDS);

    private final Map<String, AssertionError> failures = new LinkedHashMap<>();
    private final Map<RejectReason, Long> reasons = new EnumMap<>(RejectReason.class);
    private long failed;
    private long valid;

    @Test
    void nothingButMalformedShardRecordExceptionEscapesAndValidRecordsRoundTrip() {
        List<byte[]> corpus = corpus(new SplittableRandom(seed));
        for (int k = 0; k < corpus.size(); k++) { // the unmutated seeds all decode
            check(-1 - k, corpus.get(k));
        }
        long seedsValid = valid;
        for (long i = from; i < from + records; i++) {
            SplittableRandom rnd = new SplittableRandom(CodecFuzzTest.mix(seed, i));
            check(i, mutated(rnd, corpus));
        }
        System.out.printf("shard fuzz: seed %d, %,d mutated records after %,d seeds: %,d decoded valid, rejections %s%n",
                seed, records, corpus.size(), valid - seedsValid, reasons);
        if (!failures.isEmpty()) {
            StringBuilder sb = new StringBuilder(failed + " records failed; the first of each kind:\n");
            failures.forEach((kind, f) -> sb.append(kind).append(": ").append(f.getMessage()).append('\n'));
            throw new AssertionError(sb.toString(), failures.values().iterator().next().getCause());
        }
        assertThat(seedsValid).as("every seed record decodes (as its own kind)").isEqualTo(corpus.size());
        assertThat(valid - seedsValid).as("some mutated records stay valid, so the round trip is exercised").isPositive();
        assertThat(reasons.keySet()).as("the mutations reach every kind of rejection").contains(RejectReason.TRUNCATED,
                RejectReason.BAD_SYNTAX, RejectReason.NON_FINITE, RejectReason.TRAILING_BYTES, RejectReason.UNKNOWN_VERSION,
                RejectReason.EMPTY);
    }

    /** Decodes {@code record} both ways: the one that matches its format byte may succeed, the other must reject it. */
    private void check(long i, byte[] record) {
        for (boolean asRequest : new boolean[] {true, false}) {
            try {
                if (asRequest) {
                    ShardRequest r = RowShardCodec.decodeRequest(record);
                    byte[] again = RowShardCodec.encode(r);
                    if (again.length != record.length || !RowShardCodec.decodeRequest(again).equals(r)) {
                        throw new AssertionError("round trip changed " + r);
                    }
                } else {
                    ShardReply r = RowShardCodec.decodeReply(record);
                    byte[] again = RowShardCodec.encode(r);
                    if (again.length != record.length || !RowShardCodec.decodeReply(again).equals(r)) {
                        throw new AssertionError("round trip changed " + r);
                    }
                }
                valid++;
            } catch (MalformedShardRecordException e) {
                if (e.reason() == null || !e.getMessage().contains(" at offset " + e.offset() + ": ") || e.offset() < 0
                        || e.offset() > (record == null ? 0 : record.length)) {
                    fail(i, record, asRequest, new AssertionError("bad rejection: " + e.getMessage(), e));
                } else {
                    reasons.merge(e.reason(), 1L, Long::sum);
                }
            } catch (Throwable t) {
                fail(i, record, asRequest, t);
            }
        }
    }

    private void fail(long i, byte[] record, boolean asRequest, Throwable t) {
        if (t instanceof OutOfMemoryError) {
            throw (Error) t;
        }
        failed++;
        String kind = (asRequest ? "request " : "reply ") + t.getClass().getName();
        failures.computeIfAbsent(kind, k -> new AssertionError(String.format("seed %d record %d%n  hex %s%n  replay: "
                + "-Dinflight.fuzz.seed=%d -Dinflight.fuzz.from=%d -Dinflight.fuzz.records=1%n  %s", seed, i,
                record == null ? "null" : HexFormat.of().formatHex(record), seed, i, t), t));
    }

    /** Valid requests and replies: with and without push and pull, strides 2 to 9, special floats. */
    private static List<byte[]> corpus(SplittableRandom rnd) {
        List<byte[]> out = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
            int stride = 2 + rnd.nextInt(8);
            long batch = rnd.nextInt(4) == 0 ? rnd.nextLong(Long.MAX_VALUE) : rnd.nextInt(1_000);
            boolean push = batch > 0 && rnd.nextInt(4) != 0;
            long[] pushKeys = push ? keys(rnd, rnd.nextInt(5)) : new long[0];
            int[] accesses = new int[pushKeys.length];
            float[] grads = new float[pushKeys.length * stride];
            for (int j = 0; j < accesses.length; j++) {
                accesses[j] = rnd.nextInt(3) == 0 ? rnd.nextInt(Integer.MAX_VALUE) : 1 + rnd.nextInt(5);
            }
            for (int j = 0; j < grads.length; j++) {
                grads[j] = rnd.nextInt(8) == 0 ? special(rnd) : (float) rnd.nextGaussian();
            }
            out.add(RowShardCodec.encode(new ShardRequest(rnd.nextInt(8), batch, stride, push ? rnd.nextLong(batch) : -1,
                    push ? rnd.nextLong(1L << 40) : 0, pushKeys, accesses, grads, keys(rnd, rnd.nextInt(6)))));
            long[] keys = keys(rnd, rnd.nextInt(5));
            byte[][] rows = new byte[keys.length][];
            for (int j = 0; j < rows.length; j++) {
                rows[j] = new byte[rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(80)];
                for (int x = 0; x < rows[j].length; x++) {
                    rows[j][x] = (byte) rnd.nextInt(256);
                }
            }
            out.add(RowShardCodec.encode(new ShardReply(rnd.nextInt(4), rnd.nextInt(8), batch, stride, keys, rows)));
        }
        return out;
    }

    private static float special(SplittableRandom rnd) {
        float[] s = {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_NORMAL, 1e-30f};
        return s[rnd.nextInt(s.length)];
    }

    private static long[] keys(SplittableRandom rnd, int n) {
        TreeSet<Long> set = new TreeSet<>();
        while (set.size() < n) {
            set.add(rnd.nextInt(3) == 0 ? rnd.nextLong() : rnd.nextInt(50) - 25L);
        }
        return set.stream().mapToLong(Long::longValue).toArray();
    }

    /** A seed record with one to four mutations. */
    private static byte[] mutated(SplittableRandom rnd, List<byte[]> corpus) {
        byte[] b = corpus.get(rnd.nextInt(corpus.size()));
        int mutations = 1 + rnd.nextInt(rnd.nextBoolean() ? 1 : 4);
        for (int m = 0; m < mutations; m++) {
            b = switch (rnd.nextInt(9)) {
                case 0 -> bitFlip(rnd, b);
                case 1 -> replace(b, rnd.nextInt(b.length + 1), 0, new byte[] {(byte) rnd.nextInt(256)});
                case 2 -> b.length == 0 ? b : cut(rnd, b);
                case 3 -> Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
                case 4 -> splice(rnd, b, corpus.get(rnd.nextInt(corpus.size())));
                case 5, 6 -> field(rnd, b);
                case 7 -> b.length < 4 ? b : floatAt(rnd, b);
                default -> duplicate(rnd, b);
            };
        }
        return b;
    }

    private static byte[] bitFlip(SplittableRandom rnd, byte[] b) {
        if (b.length == 0) {
            return b;
        }
        byte[] c = b.clone();
        c[rnd.nextInt(c.length)] ^= (byte) (1 << rnd.nextInt(8));
        return c;
    }

    private static byte[] cut(SplittableRandom rnd, byte[] b) {
        int at = rnd.nextInt(b.length);
        return replace(b, at, Math.min(1 + rnd.nextInt(8), b.length - at), new byte[0]);
    }

    private static byte[] duplicate(SplittableRandom rnd, byte[] b) {
        if (b.length == 0) {
            return b;
        }
        int at = rnd.nextInt(b.length);
        return replace(b, at, 0, Arrays.copyOfRange(b, at, at + 1 + rnd.nextInt(Math.min(24, b.length - at))));
    }

    private static byte[] splice(SplittableRandom rnd, byte[] b, byte[] other) {
        int head = rnd.nextInt(b.length + 1);
        int tail = rnd.nextInt(other.length + 1);
        byte[] out = Arrays.copyOf(b, head + other.length - tail);
        System.arraycopy(other, tail, out, head, other.length - tail);
        return out;
    }

    /** Overwrites 2, 4 or 8 bytes (a header field or a count, most often) with a special or nearby value. */
    private static byte[] field(SplittableRandom rnd, byte[] b) {
        int width = new int[] {2, 4, 8}[rnd.nextInt(3)];
        if (b.length < width) {
            return b;
        }
        int at = rnd.nextInt(4) != 0 ? Math.min(rnd.nextInt(40), b.length - width) : rnd.nextInt(b.length - width + 1);
        ByteBuffer buf = ByteBuffer.wrap(b.clone());
        long old = width == 2 ? buf.getShort(at) : width == 4 ? buf.getInt(at) : buf.getLong(at);
        long[] specials = {0, 1, 2, -1, -2, old + 1, old - 1, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
            Long.MIN_VALUE, 0xFFFF, 65_536, 1L << 20};
        long v = specials[rnd.nextInt(specials.length)];
        switch (width) {
            case 2 -> buf.putShort(at, (short) v);
            case 4 -> buf.putInt(at, (int) v);
            default -> buf.putLong(at, v);
        }
        return buf.array();
    }

    /** Writes a special float (NaN, an infinity, a subnormal) over 4 bytes. */
    private static byte[] floatAt(SplittableRandom rnd, byte[] b) {
        float[] s = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -0f,
            Float.intBitsToFloat(0x7F800001)};
        ByteBuffer buf = ByteBuffer.wrap(b.clone());
        buf.putFloat(b.length - 4 - rnd.nextInt(Math.min(b.length - 3, 64)), s[rnd.nextInt(s.length)]);
        return buf.array();
    }

    private static byte[] replace(byte[] b, int at, int len, byte[] with) {
        byte[] out = new byte[b.length - len + with.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(with, 0, out, at, with.length);
        System.arraycopy(b, at + len, out, at + with.length, b.length - at - len);
        return out;
    }
}
