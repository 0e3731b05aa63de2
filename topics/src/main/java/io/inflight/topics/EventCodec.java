package io.inflight.topics;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The compact binary wire format of {@link ClickEvent} (the default on the clicks topic).
 *
 * <pre>
 * u8      version (= 1)
 * u8      flags: bit 0 = id present
 * [str]   id, when flagged
 * varlong event time, zig-zag
 * u8      label
 * varint  number of categorical fields; per field: str name, varint count, count × str value
 * varint  number of numeric fields; per field: str name, 8-byte IEEE-754 double (big-endian)
 * str  := varint UTF-8 byte length, bytes
 * </pre>
 *
 * <p>Decoding is strict: unknown versions, truncation, trailing bytes, invalid UTF-8 and limit
 * violations raise {@link MalformedEventException} with the matching {@link RejectReason}; nothing is
 * guessed. Semantic checks (label in {0,1}, finite numbers, duplicates, time) are
 * {@link EventValidator}'s. Instances are immutable and thread-safe.
 */
public final class EventCodec implements EventDecoder {

    /** The format version this class writes. */
    public static final byte VERSION = 1;

    /** Slots of {@link #names}: a power of two. */
    private static final int NAME_SLOTS = 256;

    private final EventLimits limits;
    /**
     * Field names decoded before, by a hash of their bytes, so that decoding a name again makes no
     * String (and its hash is computed once). Shared by every thread decoding with this codec: a
     * slot holds an immutable String or null, and a lost race only costs a String.
     */
    private final String[] names = new String[NAME_SLOTS];

    public EventCodec(EventLimits limits) {
        this.limits = limits;
    }

    public EventLimits limits() {
        return limits;
    }

    /** Encodes an event; never fails for an event whose strings fit the varint length. */
    public byte[] encode(ClickEvent e) {
        Writer w = new Writer(64 + 24 * e.featureCount());
        w.u8(VERSION);
        w.u8(e.id() != null ? 1 : 0);
        if (e.id() != null) {
            w.str(e.id());
        }
        w.varlong((e.eventTimeMs() << 1) ^ (e.eventTimeMs() >> 63));
        w.u8(e.label());
        w.varint(e.fields().size());
        for (ClickEvent.Field f : e.fields()) {
            w.str(f.name());
            w.varint(f.values().size());
            for (String v : f.values()) {
                w.str(v);
            }
        }
        w.varint(e.numerics().size());
        for (ClickEvent.Numeric n : e.numerics()) {
            w.str(n.name());
            w.f64(n.value());
        }
        return w.toBytes();
    }

    /** Decodes one event or throws {@link MalformedEventException} naming what is wrong. */
    @Override
    public ClickEvent decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new MalformedEventException(RejectReason.EMPTY, "record value is empty");
        }
        Reader r = new Reader(bytes, limits.maxStringBytes(), names);
        int version = r.u8();
        if (version != VERSION) {
            throw new MalformedEventException(RejectReason.UNKNOWN_VERSION,
                    "event format version " + version + " is not supported (this build reads version " + VERSION + ")");
        }
        int flags = r.u8();
        String id = (flags & 1) != 0 ? r.str() : null;
        long zz = r.varlong();
        long time = (zz >>> 1) ^ -(zz & 1);
        int label = r.u8();
        int nFields = r.count("categorical fields", null, limits.maxFeatures());
        // immutable lists built once: ClickEvent's List.copyOf keeps them as they are
        ClickEvent.Field[] fields = new ClickEvent.Field[nFields];
        int features = 0;
        for (int i = 0; i < nFields; i++) {
            String name = r.name();
            int nValues = r.count("values of field", name, limits.maxFeatures());
            features += nValues;
            if (features > limits.maxFeatures()) {
                throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES,
                        "more than " + limits.maxFeatures() + " features");
            }
            List<String> values;
            if (nValues == 1) {
                values = List.of(r.str());
            } else {
                String[] v = new String[nValues];
                for (int j = 0; j < nValues; j++) {
                    v[j] = r.str();
                }
                values = List.of(v);
            }
            fields[i] = new ClickEvent.Field(name, values);
        }
        int nNumerics = r.count("numeric fields", null, limits.maxFeatures());
        ClickEvent.Numeric[] numerics = new ClickEvent.Numeric[nNumerics];
        for (int i = 0; i < nNumerics; i++) {
            String name = r.str();
            numerics[i] = new ClickEvent.Numeric(name, r.f64());
        }
        if (r.remaining() != 0) {
            throw new MalformedEventException(RejectReason.TRAILING_BYTES,
                    r.remaining() + " bytes after the end of the event");
        }
        return new ClickEvent(id, time, label, List.of(fields), List.of(numerics));
    }

    private static final class Writer {
        private byte[] buf;
        private int pos;

        Writer(int capacity) {
            buf = new byte[capacity];
        }

        private void ensure(int n) {
            if (pos + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void varint(int v) {
            varlong(v & 0xFFFFFFFFL);
        }

        void varlong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[pos++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void f64(double d) {
            ensure(8);
            long bits = Double.doubleToRawLongBits(d);
            for (int i = 7; i >= 0; i--) {
                buf[pos++] = (byte) (bits >>> (8 * i));
            }
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        byte[] toBytes() {
            return Arrays.copyOf(buf, pos);
        }
    }

    /**
     * Reads the wire format. Error messages are built only when something is wrong: decoding is on
     * the trainer's hot path.
     */
    private static final class Reader {
        private final byte[] buf;
        private final int maxStringBytes;
        /** For strings that are not plain ASCII; made on first use. */
        private CharsetDecoder utf8;
        private int pos;

        /** The codec's cache of field names. */
        private final String[] names;

        Reader(byte[] buf, int maxStringBytes, String[] names) {
            this.buf = buf;
            this.maxStringBytes = maxStringBytes;
            this.names = names;
        }

        int remaining() {
            return buf.length - pos;
        }

        private MalformedEventException truncated(String what) {
            return new MalformedEventException(RejectReason.TRUNCATED,
                    "record ends at byte " + buf.length + " while reading " + what);
        }

        int u8() {
            if (pos >= buf.length) {
                throw truncated("a byte at offset " + pos);
            }
            return buf[pos++] & 0xFF;
        }

        /**
         * An unsigned 64-bit varint (as a long: values of 2^63 and more are negative). The 10th byte
         * may only carry bit 63: anything more overflows 64 bits and is rejected, not truncated.
         */
        long varlong() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= buf.length) {
                    throw truncated("a varint at offset " + pos);
                }
                byte b = buf[pos++];
                if (shift == 63 && (b & 0xFE) != 0) {
                    throw new MalformedEventException(RejectReason.BAD_SYNTAX, (b & 0x80) != 0
                            ? "varint longer than 10 bytes at offset " + pos
                            : "varint overflows 64 bits at offset " + pos);
                }
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new AssertionError("unreachable: the 10th varint byte either ends the varint or is rejected");
        }

        /**
         * A count in [0, {@code max}]; {@code field} (may be null) names the field it belongs to. The
         * varint is unsigned: a "negative" count is one of 2^63 or more, over any limit.
         */
        int count(String what, String field, int max) {
            long n = varlong();
            if (n < 0 || n > max) {
                throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES,
                        (field == null ? what : what + " '" + field + "'") + ": " + Long.toUnsignedString(n)
                                + " exceeds the limit of " + max);
            }
            return (int) n;
        }

        double f64() {
            if (remaining() < 8) {
                throw truncated("a double at offset " + pos);
            }
            long bits = 0;
            for (int i = 0; i < 8; i++) {
                bits = (bits << 8) | (buf[pos++] & 0xFF);
            }
            return Double.longBitsToDouble(bits);
        }

        /** A field name: {@link #str}, the same String as last time when an ASCII name was decoded before. */
        String name() {
            int start = pos;
            long len = varlong();
            int n = (int) len;
            if (len < 0 || len > maxStringBytes || n > remaining()) {
                pos = start;
                return str(); // str() says what is wrong
            }
            int at = pos;
            int h = n;
            for (int i = at; i < at + n; i++) {
                if (buf[i] < 0) {
                    pos = start;
                    return str();
                }
                h = 31 * h + buf[i];
            }
            int slot = (h ^ (h >>> 16)) & (NAME_SLOTS - 1);
            String cached = names[slot];
            if (cached != null && cached.length() == n && sameAscii(cached, at, n)) {
                pos = at + n;
                return cached;
            }
            pos = start;
            String s = str();
            names[slot] = s;
            return s;
        }

        private boolean sameAscii(String s, int at, int n) {
            for (int i = 0; i < n; i++) {
                if (s.charAt(i) != buf[at + i]) {
                    return false;
                }
            }
            return true;
        }

        String str() {
            long len = varlong();
            if (len < 0 || len > maxStringBytes) { // unsigned: "negative" is 2^63 bytes or more
                throw new MalformedEventException(RejectReason.STRING_TOO_LONG, "string of " + Long.toUnsignedString(len)
                        + " bytes at offset " + pos + " exceeds the limit of " + maxStringBytes);
            }
            int n = (int) len;
            if (n > remaining()) {
                throw truncated("a string of " + len + " bytes");
            }
            int start = pos;
            boolean ascii = true;
            for (int i = start; i < start + n; i++) {
                if (buf[i] < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) { // the common case: one copy into a compact string, nothing to validate
                pos += n;
                return new String(buf, start, n, StandardCharsets.ISO_8859_1);
            }
            if (utf8 == null) {
                utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            try {
                CharBuffer chars = utf8.decode(ByteBuffer.wrap(buf, start, n));
                pos += n;
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new MalformedEventException(RejectReason.BAD_UTF8, "invalid UTF-8 in a string at offset " + pos);
            }
        }
    }
}
