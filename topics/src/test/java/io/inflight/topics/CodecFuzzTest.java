package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.json.JsonEventCodec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of both event decoders (issue 12): mutated records go through
 * {@link EventCodec#decode} and {@link JsonEventCodec#decode}, then {@link EventValidator#validate} on
 * whatever decodes. Nothing but {@link MalformedEventException} may escape, and every event that
 * decodes and validates must re-encode (binary and JSON) to an event that decodes equal.
 *
 * <p>Record {@code i} of seed {@code s} depends on nothing but {@code (s, i)}, so a failure names the
 * pair and its hex, and is replayed alone with
 * {@code -Dinflight.fuzz.seed=s -Dinflight.fuzz.from=i -Dinflight.fuzz.records=1}. The default run is
 * {@value #DEFAULT_RECORDS} records; {@code -Dinflight.fuzz.records=1000000} is the long run (README,
 * Development).
 */
class CodecFuzzTest {

    static final int DEFAULT_RECORDS = 200_000;
    private static final long NOW = 1_700_000_000_000L;

    /** The defaults, and small limits so that the limit checks and their boundaries are hit often. */
    private static final EventLimits[] LIMITS = {EventLimits.DEFAULTS, new EventLimits(6, 12, 86_400_000L, 0L)};

    private final long seed = Long.getLong("inflight.fuzz.seed", 20_261_130L);
    private final long from = Long.getLong("inflight.fuzz.from", 0L);
    private final long records = Long.getLong("inflight.fuzz.records", DEFAULT_RECORDS);

    private final EventCodec[] binary = {new EventCodec(LIMITS[0]), new EventCodec(LIMITS[1])};
    private final JsonEventCodec[] json = {new JsonEventCodec(LIMITS[0]), new JsonEventCodec(LIMITS[1])};
    private final EventValidator[] validator = {new EventValidator(LIMITS[0]), new EventValidator(LIMITS[1])};

    /** The first failure of each kind (codec and exception class): the run goes on to find the other kinds. */
    private final Map<String, AssertionError> failures = new LinkedHashMap<>();
    private long failed;
    private long decoded;
    private long valid;
    private long roundTrips;

    @Test
    void nothingButMalformedEventExceptionEscapesAndValidEventsRoundTrip() {
        Corpus corpus = new Corpus(new SplittableRandom(seed));
        long k = 0;
        for (byte[] unmutated : corpus.seeds()) { // the seed records themselves, as "record -1, -2, ..."
            k--;
            check(k, unmutated, "binary", 0);
            check(k, unmutated, "json", 0);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        for (long i = from; i < from + records; i++) {
            SplittableRandom rnd = new SplittableRandom(mix(seed, i));
            int l = (int) (i & 1);
            byte[] record = corpus.mutated(rnd, l);
            check(i, record, "binary", l);
            check(i, record, "json", l);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        System.out.printf("fuzz: seed %d, %,d records through both codecs in %.1f s (%,.0f records/s; CPU %.1f s, "
                + "%,.0f records/CPU-s), every one mutated, after the %,d seed records: %,d decodes, %,d valid, %,d round trips%n",
                seed, records, seconds, records / seconds, cpuSeconds, records / cpuSeconds, -k, decoded, valid, roundTrips);
        if (!failures.isEmpty()) {
            StringBuilder sb = new StringBuilder(failed + " records failed, " + failures.size() + " kinds; the first of each:\n");
            failures.forEach((kind, f) -> sb.append(kind).append(": ").append(f.getMessage()).append("\n"));
            AssertionError all = new AssertionError(sb.toString(), failures.values().iterator().next().getCause());
            failures.values().forEach(all::addSuppressed);
            throw all;
        }
        assertThat(valid).as("the mutations must leave some records valid, or the round trip is not exercised")
                .isPositive();
    }

    private void check(long i, byte[] record, String codec, int l) {
        try {
            ClickEvent e = codec.equals("binary") ? binary[l].decode(record) : json[l].decode(record);
            decoded++;
            try {
                validator[l].validate(e, NOW);
            } catch (MalformedEventException rejected) {
                assertThat(rejected.reason()).isNotNull();
                return;
            }
            valid++;
            ClickEvent viaBinary = binary[l].decode(binary[l].encode(e));
            ClickEvent viaJson = json[l].decode(json[l].encode(e));
            if (!e.equals(viaBinary) || !e.equals(viaJson)) {
                throw new AssertionError("round trip changed the event " + e + ": binary " + viaBinary + ", json " + viaJson);
            }
            roundTrips++;
        } catch (MalformedEventException rejected) {
            if (rejected.reason() == null) {
                fail(i, record, codec, l, rejected);
            }
        } catch (Throwable t) { // anything else is a bug, including a round trip that throws
            fail(i, record, codec, l, t);
        }
    }

    private void fail(long i, byte[] record, String codec, int l, Throwable t) {
        if (t instanceof OutOfMemoryError || t instanceof StackOverflowError && failures.size() > 20) {
            throw (Error) t;
        }
        failed++;
        String kind = codec + " " + (t.getMessage() != null && t.getMessage().startsWith("round trip") ? "round trip"
                : t.getClass().getName());
        failures.computeIfAbsent(kind, k -> failure(i, record, codec, l, t));
    }

    private AssertionError failure(long i, byte[] record, String codec, int l, Throwable t) {
        return new AssertionError(String.format("%s codec (limits %s) failed on seed %d record %d:%n  hex %s%n  text %s%n"
                        + "  replay: -Dinflight.fuzz.seed=%d -Dinflight.fuzz.from=%d -Dinflight.fuzz.records=1%n  %s",
                codec, LIMITS[l], seed, i, HexFormat.of().formatHex(record), new String(record, StandardCharsets.ISO_8859_1),
                seed, i, escape(t.toString())), t);
    }

    /** Printable ASCII only: lone surrogates and control characters in a message must not garble the report. */
    private static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c >= 0x20 && c < 0x7F) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04X", (int) c));
            }
        }
        return sb.toString();
    }

    /** SplitMix64 of the pair: each record's generator depends on (seed, index) only. */
    static long mix(long seed, long i) {
        long z = seed * 0x9E3779B97F4A7C15L + i;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Valid seed records in both formats (with the offsets of the binary varints) and the mutators. */
    static final class Corpus {

        private static final String[] PIECES = {"a", "site", "x", "0", "42", "ü", "é", "ß", "日本", "€", "😀", "𝄞", "\u0000",
            "\u007F", "\u0080", "\u07FF", "\u0800", "\uFFFF", "\uFEFF", "\uDBFF\uDFFF", "\"", "\\", "\n", " ", "time",
            "label", "fields", "numeric", "id", "-", "1e9", "NaN", "null"};
        private static final double[] DOUBLES = {0.0, -0.0, 1.0, -1.5, 3.5, Double.MIN_VALUE, Double.MAX_VALUE,
            -Double.MAX_VALUE, Double.MIN_NORMAL, 1e-300, 123456789.125, Math.PI, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 9007199254740993.0, 1e21, 1e-7};

        /** Varints spliced over length and count fields: -1, 2^63+1, 2^64+x overflows, too long, limits. */
        private static final byte[][] VARINTS = {
            varint(-1L), varint(Long.MIN_VALUE + 1), varint(Long.MIN_VALUE), varint(Long.MAX_VALUE), varint(0), varint(1),
            varint(2), varint(5), varint(6), varint(7), varint(12), varint(13), varint(127), varint(128), varint(1_000),
            varint(1_001), varint(1_024), varint(1_025), varint(Integer.MAX_VALUE), varint(1L << 31), varint(0xFFFFFFFFL),
            varint(1L << 32), varint(-2L), varint(-1_000L),
            {(byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, 0x02}, // 2^64 + 1
            {(byte) 0x85, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, 0x7E}, // 2^64 * 63 + 5
            {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0x01}, // 11 bytes
            {(byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00}, // non-canonical 0
            {(byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, 0x00}, // non-canonical 1 in 10 bytes
            {(byte) 0x80}, // truncated
        };

        private static final String[] JSON_TOKENS = {"null", "true", "false", "[]", "{}", "[", "]", "{", "}", ",", ":", "\"\"",
            "\"\\ud800\"", "\"\\udc00\"", "\"\\udc00\\ud800\"", "\"\\ud83d\\ude00\"", "\"x\\ud83d\"", "\"\\u0000\"", "\"\\uFEFF\"",
            "1e999", "-1e999", "-0", "-0.0", "0", "1", "2", "-1", "1.5", "99999999999999999999", "9223372036854775807",
            "-9223372036854775808", "4.9e-324", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "NaN", "Infinity",
            "\"2024-01-31T12:00:00Z\"", "\"+1000000000-12-31T23:59:59.999999999Z\"", "\"2023-11-14T22:13:20.999999Z\"",
            "\"time\"", "\"label\"", "\"fields\"", "\"numeric\"", "\"id\"", "\"a\"", "\"x\"", "[\"x\", \"y\"]", "[null]",
            "[[\"x\"]]", "{\"a\": \"b\"}", "\"\\\"\"", "\"\\\\\"", "\"\\n\"", "\"日本\"", "\"😀\"", "'x'", "/* c */", "\uFEFF",
            "\"" + "v".repeat(1_025) + "\"", "\"" + "v".repeat(13) + "\"", "\"é\"", "\"\\u00e9\""};

        private final List<byte[]> binarySeeds = new ArrayList<>();
        private final List<int[]> varintOffsets = new ArrayList<>();
        private final List<byte[]> jsonSeeds = new ArrayList<>();
        private final byte[][] jsonTokens;

        Corpus(SplittableRandom rnd) {
            EventCodec enc = new EventCodec(EventLimits.DEFAULTS);
            JsonEventCodec jsonEnc = new JsonEventCodec(EventLimits.DEFAULTS);
            for (int k = 0; k < 400; k++) {
                ClickEvent e = event(rnd, k % 2 == 0 ? 6 : 12);
                byte[] b = enc.encode(e);
                binarySeeds.add(b);
                varintOffsets.add(varintOffsets(b));
                jsonSeeds.add(jsonEnc.encode(e));
            }
            for (String s : new String[] {
                "{\"id\": \"e-17\", \"time\": 1700000000000, \"label\": 1, \"fields\": {\"site\": \"a1\", \"tags\": [\"x\", \"y\"]}, "
                    + "\"numeric\": {\"price\": 3.5}}",
                "{\"time\": \"2023-11-14T22:13:20Z\", \"label\": true, \"fields\": {\"a\": \"b\", \"gone\": null, \"n\": 13, "
                    + "\"f\": 1.5e3, \"t\": false}, \"numeric\": {\"p\": null, \"q\": -0.0, \"r\": \"NaN\", \"s\": 12345678901234567890}}",
                "{\"label\": 0, \"time\": 1700000000001, \"id\": null, \"numeric\": {}, \"fields\": {\"k\": [], \"v\": [\"\\u00fc\", \"\\ud83d\\ude00\"]}}",
                "  {\"time\":1700000000000,\"label\":false,\"fields\":{\"\\u0061\":\"\\t\"}}  ",
            }) {
                jsonSeeds.add(s.getBytes(StandardCharsets.UTF_8));
            }
            jsonTokens = new byte[JSON_TOKENS.length][];
            for (int k = 0; k < JSON_TOKENS.length; k++) {
                jsonTokens[k] = JSON_TOKENS[k].getBytes(StandardCharsets.UTF_8);
            }
        }

        List<byte[]> seeds() {
            List<byte[]> all = new ArrayList<>(binarySeeds);
            all.addAll(jsonSeeds);
            return all;
        }

        /** A random event, valid more often than not. */
        private static ClickEvent event(SplittableRandom rnd, int maxString) {
            String id = rnd.nextInt(3) == 0 ? null : string(rnd, maxString);
            long time = switch (rnd.nextInt(12)) {
                case 0 -> 0L;
                case 1 -> -1L - rnd.nextInt(1_000);
                case 2 -> Long.MIN_VALUE;
                case 3 -> Long.MAX_VALUE;
                default -> NOW - rnd.nextLong(86_400_000L * 30) + rnd.nextLong(86_400_000L);
            };
            int label = rnd.nextInt(20) == 0 ? rnd.nextInt(256) : rnd.nextInt(2);
            List<ClickEvent.Field> fields = new ArrayList<>();
            int nFields = rnd.nextInt(5) == 0 ? rnd.nextInt(9) : 1 + rnd.nextInt(3);
            for (int f = 0; f < nFields; f++) {
                List<String> values = new ArrayList<>();
                int nValues = rnd.nextInt(4) == 0 ? rnd.nextInt(5) : 1;
                for (int v = 0; v < nValues; v++) {
                    values.add(string(rnd, maxString));
                }
                fields.add(new ClickEvent.Field(rnd.nextInt(8) == 0 ? string(rnd, maxString) : "f" + f, values));
            }
            List<ClickEvent.Numeric> numerics = new ArrayList<>();
            int nNumerics = rnd.nextInt(3);
            for (int n = 0; n < nNumerics; n++) {
                double d = rnd.nextBoolean() ? DOUBLES[rnd.nextInt(DOUBLES.length)] : rnd.nextDouble(-1e6, 1e6);
                numerics.add(new ClickEvent.Numeric(rnd.nextInt(8) == 0 ? string(rnd, maxString) : "n" + n, d));
            }
            return new ClickEvent(id, time, label, fields, numerics);
        }

        private static String string(SplittableRandom rnd, int maxBytes) {
            StringBuilder sb = new StringBuilder();
            int pieces = rnd.nextInt(4);
            for (int p = 0; p < pieces; p++) {
                String piece = PIECES[rnd.nextInt(PIECES.length)];
                if (sb.toString().getBytes(StandardCharsets.UTF_8).length + piece.getBytes(StandardCharsets.UTF_8).length
                        > maxBytes + (rnd.nextInt(10) == 0 ? 2 : 0)) {
                    break;
                }
                sb.append(piece);
            }
            return sb.toString();
        }

        /** Offsets of every varint in a valid binary record (counts, lengths and the time). */
        private static int[] varintOffsets(byte[] b) {
            int[] pos = {2};
            IntSupplier skipVarint = () -> {
                int start = pos[0];
                while (b[pos[0]++] < 0) {
                    // continuation bit set
                }
                return start;
            };
            List<Integer> offsets = new ArrayList<>();
            if ((b[1] & 1) != 0) {
                offsets.add(skipVarint.getAsInt());
                pos[0] += (int) readVarint(b, offsets.get(offsets.size() - 1));
            }
            offsets.add(skipVarint.getAsInt()); // time
            pos[0]++; // label
            int fieldsAt = skipVarint.getAsInt();
            offsets.add(fieldsAt);
            long nFields = readVarint(b, fieldsAt);
            for (long f = 0; f < nFields; f++) {
                int nameAt = skipVarint.getAsInt();
                offsets.add(nameAt);
                pos[0] += (int) readVarint(b, nameAt);
                int countAt = skipVarint.getAsInt();
                offsets.add(countAt);
                long nValues = readVarint(b, countAt);
                for (long v = 0; v < nValues; v++) {
                    int valueAt = skipVarint.getAsInt();
                    offsets.add(valueAt);
                    pos[0] += (int) readVarint(b, valueAt);
                }
            }
            int numericsAt = skipVarint.getAsInt();
            offsets.add(numericsAt);
            long nNumerics = readVarint(b, numericsAt);
            for (long k = 0; k < nNumerics; k++) {
                int nameAt = skipVarint.getAsInt();
                offsets.add(nameAt);
                pos[0] += (int) readVarint(b, nameAt) + 8;
            }
            if (pos[0] != b.length) {
                throw new IllegalStateException("seed record parsed to " + pos[0] + " of " + b.length + " bytes");
            }
            int[] out = new int[offsets.size()];
            for (int k = 0; k < out.length; k++) {
                out[k] = offsets.get(k);
            }
            return out;
        }

        private static long readVarint(byte[] b, int at) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b[at++];
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return v;
                }
            }
        }

        private static int varintLength(byte[] b, int at) {
            int k = at;
            while (k < b.length && b[k] < 0 && k - at < 10) {
                k++;
            }
            return Math.min(k + 1, b.length) - at;
        }

        static byte[] varint(long v) {
            byte[] out = new byte[10];
            int n = 0;
            while ((v & ~0x7FL) != 0) {
                out[n++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out[n++] = (byte) v;
            return Arrays.copyOf(out, n);
        }

        /** One seed record (binary or JSON) with one to four mutations. */
        byte[] mutated(SplittableRandom rnd, int limits) {
            boolean isJson = rnd.nextBoolean();
            int k = rnd.nextInt(isJson ? jsonSeeds.size() : binarySeeds.size());
            byte[] b = isJson ? jsonSeeds.get(k) : binarySeeds.get(k);
            int mutations = 1 + rnd.nextInt(rnd.nextBoolean() ? 1 : 4); // every record is mutated
            for (int m = 0; m < mutations; m++) {
                int op = rnd.nextInt(isJson ? 14 : 11);
                b = switch (op) {
                    case 0 -> bitFlip(rnd, b);
                    case 1 -> insert(rnd, b, new byte[] {(byte) rnd.nextInt(256)});
                    case 2 -> delete(rnd, b, 1 + rnd.nextInt(b.length > 4 && rnd.nextBoolean() ? 4 : 1));
                    case 3 -> duplicate(rnd, b);
                    case 4 -> Arrays.copyOf(b, b.length == 0 ? 0 : rnd.nextInt(b.length));
                    case 5 -> randomBytes(rnd, b);
                    case 6 -> splice(rnd, b, isJson ? jsonSeeds : binarySeeds);
                    case 7 -> insert(rnd, b, VARINTS[rnd.nextInt(VARINTS.length)]);
                    case 8, 9, 10 -> isJson ? bitFlip(rnd, b) : lengthField(rnd, b, k);
                    default -> jsonToken(rnd, b);
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

        private static byte[] insert(SplittableRandom rnd, byte[] b, byte[] what) {
            return replace(b, rnd.nextInt(b.length + 1), 0, what);
        }

        private static byte[] delete(SplittableRandom rnd, byte[] b, int n) {
            if (b.length == 0) {
                return b;
            }
            int at = rnd.nextInt(b.length);
            return replace(b, at, Math.min(n, b.length - at), new byte[0]);
        }

        private static byte[] duplicate(SplittableRandom rnd, byte[] b) {
            if (b.length == 0) {
                return b;
            }
            int at = rnd.nextInt(b.length);
            int len = 1 + rnd.nextInt(Math.min(16, b.length - at));
            return replace(b, at, 0, Arrays.copyOfRange(b, at, at + len));
        }

        private static byte[] randomBytes(SplittableRandom rnd, byte[] b) {
            if (b.length == 0 || rnd.nextInt(8) == 0) {
                byte[] r = new byte[rnd.nextInt(40)];
                rnd.nextBytes(r);
                if (r.length > 0 && rnd.nextBoolean()) {
                    r[0] = EventCodec.VERSION;
                }
                return r;
            }
            byte[] c = b.clone();
            int at = rnd.nextInt(c.length);
            int len = 1 + rnd.nextInt(Math.min(8, c.length - at));
            for (int i = at; i < at + len; i++) {
                c[i] = (byte) rnd.nextInt(256);
            }
            return c;
        }

        private static byte[] splice(SplittableRandom rnd, byte[] b, List<byte[]> seeds) {
            byte[] other = seeds.get(rnd.nextInt(seeds.size()));
            int head = b.length == 0 ? 0 : rnd.nextInt(b.length + 1);
            int tail = rnd.nextInt(other.length + 1);
            byte[] out = Arrays.copyOf(b, head + other.length - tail);
            System.arraycopy(other, tail, out, head, other.length - tail);
            return out;
        }

        /** Replaces a count, length or the time with a special varint or the original value ± a little. */
        private byte[] lengthField(SplittableRandom rnd, byte[] b, int seedIndex) {
            int[] offsets = varintOffsets.get(seedIndex);
            int at = offsets[rnd.nextInt(offsets.length)];
            if (at >= b.length) { // an earlier mutation made the record shorter
                at = b.length == 0 ? 0 : rnd.nextInt(b.length);
            }
            int len = b.length == 0 ? 0 : varintLength(b, at);
            byte[] with;
            if (rnd.nextBoolean() && len > 0) {
                with = varint(readVarintLenient(b, at) + rnd.nextInt(-2, 3));
            } else {
                with = VARINTS[rnd.nextInt(VARINTS.length)];
            }
            return replace(b, at, len, with);
        }

        private static long readVarintLenient(byte[] b, int at) {
            long v = 0;
            for (int shift = 0; shift < 64 && at < b.length; shift += 7) {
                byte x = b[at++];
                v |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    break;
                }
            }
            return v;
        }

        /** Token-level JSON mutations: delete, duplicate, swap or replace a token, insert one, wrap a value. */
        private byte[] jsonToken(SplittableRandom rnd, byte[] b) {
            int[] tokens = tokens(b);
            int n = tokens.length / 2;
            byte[] dict = jsonTokens[rnd.nextInt(jsonTokens.length)];
            if (n == 0) {
                return insert(rnd, b, dict);
            }
            int t = rnd.nextInt(n);
            int start = tokens[2 * t];
            int end = tokens[2 * t + 1];
            return switch (rnd.nextInt(6)) {
                case 0 -> replace(b, start, end - start, new byte[0]);
                case 1 -> replace(b, end, 0, Arrays.copyOfRange(b, start, end));
                case 2 -> replace(b, start, end - start, dict);
                case 3 -> replace(b, rnd.nextBoolean() ? start : end, 0, dict);
                case 4 -> {
                    byte[] inner = Arrays.copyOfRange(b, start, end);
                    byte[] open = rnd.nextBoolean() ? "[".getBytes(StandardCharsets.UTF_8) : "{\"k\": ".getBytes(StandardCharsets.UTF_8);
                    byte[] close = open.length == 1 ? "]".getBytes(StandardCharsets.UTF_8) : "}".getBytes(StandardCharsets.UTF_8);
                    byte[] wrapped = Arrays.copyOf(open, open.length + inner.length + close.length);
                    System.arraycopy(inner, 0, wrapped, open.length, inner.length);
                    System.arraycopy(close, 0, wrapped, open.length + inner.length, close.length);
                    yield replace(b, start, end - start, wrapped);
                }
                default -> {
                    int u = rnd.nextInt(n);
                    int s2 = tokens[2 * u];
                    int e2 = tokens[2 * u + 1];
                    if (s2 < start) {
                        int x = s2;
                        s2 = start;
                        start = x;
                        x = e2;
                        e2 = end;
                        end = x;
                    }
                    if (s2 < end) {
                        yield b; // the same token
                    }
                    byte[] first = Arrays.copyOfRange(b, start, end);
                    byte[] second = Arrays.copyOfRange(b, s2, e2);
                    byte[] swapped = replace(b, s2, e2 - s2, first);
                    yield replace(swapped, start, end - start, second);
                }
            };
        }

        /** Start and end offsets of the JSON tokens (strings, numbers, literals, punctuation); lenient. */
        private static int[] tokens(byte[] b) {
            int[] out = new int[16];
            int n = 0;
            int i = 0;
            while (i < b.length) {
                int c = b[i] & 0xFF;
                int start = i;
                if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
                    i++;
                    continue;
                }
                if (c == '"') {
                    i++;
                    while (i < b.length && b[i] != '"') {
                        i += b[i] == '\\' ? 2 : 1;
                    }
                    i = Math.min(i + 1, b.length);
                } else if (c == '-' || (c >= '0' && c <= '9')) {
                    i++;
                    while (i < b.length && "0123456789.eE+-".indexOf(b[i]) >= 0) {
                        i++;
                    }
                } else if (Character.isLetter(c)) {
                    while (i < b.length && Character.isLetter(b[i] & 0xFF)) {
                        i++;
                    }
                } else {
                    i++;
                }
                if (n + 2 > out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                out[n++] = start;
                out[n++] = i;
            }
            return Arrays.copyOf(out, n);
        }

        private static byte[] replace(byte[] b, int at, int len, byte[] with) {
            byte[] out = new byte[b.length - len + with.length];
            System.arraycopy(b, 0, out, 0, at);
            System.arraycopy(with, 0, out, at, with.length);
            System.arraycopy(b, at + len, out, at + with.length, b.length - at - len);
            return out;
        }
    }
}
