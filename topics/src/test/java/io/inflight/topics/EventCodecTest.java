package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private final EventCodec codec = new EventCodec(EventLimits.DEFAULTS);

    private static ClickEvent sample() {
        return new ClickEvent("ev-1", 1_700_000_000_123L, 1,
                List.of(ClickEvent.Field.of("site", "a1b2"), new ClickEvent.Field("tags", List.of("x", "ü", "日本"))),
                List.of(new ClickEvent.Numeric("price", 12.5)));
    }

    @Test
    void shouldRoundTripEveryPart() {
        ClickEvent e = sample();
        assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
        ClickEvent noId = new ClickEvent(null, -5L, 0, List.of(ClickEvent.Field.of("u", "1")), List.of());
        assertThat(codec.decode(codec.encode(noId))).isEqualTo(noId);
    }

    @Test
    void shouldDecodeFieldNamesThroughItsCacheExactly() {
        // more names than the cache has slots (so slots are shared), of equal lengths, ASCII or not
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 700; i++) {
            names.add(i % 7 == 0 ? "pr\u00efx" + i : "f" + i);
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < names.size(); i += 3) {
                ClickEvent e = new ClickEvent(null, 5L, 1, List.of(ClickEvent.Field.of(names.get(i), "v"),
                        ClickEvent.Field.of(names.get((i * 31 + round) % names.size()), "w")), List.of());
                assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
            }
        }
        ClickEvent e = new ClickEvent(null, 5L, 1, List.of(ClickEvent.Field.of("site", "a")), List.of());
        String first = codec.decode(codec.encode(e)).fields().get(0).name();
        assertThat(codec.decode(codec.encode(e)).fields().get(0).name()).isSameAs(first);
    }

    @Test
    void shouldStartWithTheFormatVersion() {
        assertThat(codec.encode(sample())[0]).isEqualTo(EventCodec.VERSION);
    }

    @Test
    void shouldRejectEmptyRecord() {
        assertReason(new byte[0], RejectReason.EMPTY);
        assertReason(null, RejectReason.EMPTY);
    }

    @Test
    void shouldRejectUnknownVersionNamingIt() {
        byte[] b = codec.encode(sample());
        b[0] = 9;
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("version 9");
    }

    @Test
    void shouldRejectEveryTruncation() {
        byte[] full = codec.encode(sample());
        for (int len = 1; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            assertThatThrownBy(() -> codec.decode(cut)).as("length %d", len)
                    .isInstanceOf(MalformedEventException.class);
        }
    }

    @Test
    void shouldRejectTrailingBytes() {
        byte[] full = codec.encode(sample());
        assertReason(Arrays.copyOf(full, full.length + 1), RejectReason.TRAILING_BYTES);
    }

    @Test
    void shouldRejectInvalidUtf8() {
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(ClickEvent.Field.of("f", "ab")), List.of());
        byte[] b = codec.encode(e);
        b[b.length - 2] = (byte) 0xC3; // lone lead byte followed by 'b'
        assertReason(b, RejectReason.BAD_UTF8);
    }

    @Test
    void shouldRejectTooManyFeaturesBeforeAllocatingThem() {
        EventCodec small = new EventCodec(new EventLimits(3, 1024, 0, 0));
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(new ClickEvent.Field("f", List.of("1", "2", "3", "4"))), List.of());
        assertThatThrownBy(() -> small.decode(codec.encode(e))).isInstanceOf(MalformedEventException.class)
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(RejectReason.TOO_MANY_FEATURES));
    }

    @Test
    void shouldRejectOverlongString() {
        EventCodec small = new EventCodec(new EventLimits(10, 4, 0, 0));
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(ClickEvent.Field.of("f", "12345")), List.of());
        assertThatThrownBy(() -> small.decode(codec.encode(e)))
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(RejectReason.STRING_TOO_LONG))
                .hasMessageContaining("5 bytes");
    }

    // Issue 12, item 1: every count and length is an unsigned varint in [0, limit]; a 10-byte varint
    // whose last byte carries bits beyond the 64th overflows. None of these may escape as anything
    // but MalformedEventException.

    @Test
    void shouldRejectAnIdLengthOfMinusOne() { // was StringIndexOutOfBoundsException
        assertReason(new Raw().u8(1).u8(1).varlong(-1).raw('a').u8(0).u8(1).varlong(1).str("f").varlong(1).str("v")
                .varlong(0).bytes(), RejectReason.STRING_TOO_LONG);
    }

    @Test
    void shouldRejectANameOrValueLengthOfMinusOne() {
        assertReason(head().varlong(1).varlong(-1).raw('f').varlong(1).str("v").varlong(0).bytes(),
                RejectReason.STRING_TOO_LONG);
        assertReason(head().varlong(1).str("f").varlong(1).varlong(-1).raw('v').varlong(0).bytes(),
                RejectReason.STRING_TOO_LONG);
        assertReason(head().varlong(1).str("f").varlong(1).str("v").varlong(1).varlong(-1).raw('n').f64(1).bytes(),
                RejectReason.STRING_TOO_LONG);
    }

    @Test
    void shouldRejectAFieldCountOfMinusOne() { // was NegativeArraySizeException
        assertReason(head().varlong(-1).bytes(), RejectReason.TOO_MANY_FEATURES);
    }

    @Test
    void shouldRejectAValueCountOfMinusOne() { // was NegativeArraySizeException
        assertReason(head().varlong(1).str("f").varlong(-1).str("v").varlong(0).bytes(), RejectReason.TOO_MANY_FEATURES);
    }

    @Test
    void shouldRejectANumericCountOfMinusOne() { // was NegativeArraySizeException
        assertReason(head().varlong(1).str("f").varlong(1).str("v").varlong(-1).bytes(), RejectReason.TOO_MANY_FEATURES);
    }

    @Test
    void shouldRejectCountsOfTwoToThe63PlusOne() { // were read as 1 and accepted
        long big = Long.MIN_VALUE + 1; // 2^63 + 1 as an unsigned varint
        assertReason(head().varlong(big).str("f").varlong(1).str("v").varlong(0).bytes(), RejectReason.TOO_MANY_FEATURES);
        assertReason(head().varlong(1).str("f").varlong(big).str("v").varlong(0).bytes(), RejectReason.TOO_MANY_FEATURES);
        assertReason(head().varlong(1).str("f").varlong(1).str("v").varlong(big).str("n").f64(1).bytes(),
                RejectReason.TOO_MANY_FEATURES);
        assertReason(head().varlong(1).varlong(big).raw('f').varlong(1).str("v").varlong(0).bytes(), RejectReason.STRING_TOO_LONG);
    }

    @Test
    void shouldRejectAVarintOverflowingSixtyFourBits() {
        // 2^64 + 1: nine bytes with the continuation bit, the 10th byte 0x02 carries bit 64
        byte[] twoTo64Plus1 = {(byte) 0x81, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, (byte) 0x80, 0x02};
        assertReason(head().raw(twoTo64Plus1).str("f").varlong(1).str("v").varlong(0).bytes(), RejectReason.BAD_SYNTAX);
        assertReason(head().varlong(1).str("f").raw(twoTo64Plus1).str("v").varlong(0).bytes(), RejectReason.BAD_SYNTAX);
        // in the event time (the only full 64-bit varint): 0x7F in the 10th byte
        byte[] time = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0x7F};
        assertReason(new Raw().u8(1).u8(0).raw(time).u8(1).varlong(1).str("f").varlong(1).str("v").varlong(0).bytes(),
                RejectReason.BAD_SYNTAX);
        // while a 10th byte of 1 is bit 63 itself and legal: zig-zag Long.MIN_VALUE
        byte[] min = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0x01};
        assertThat(codec.decode(new Raw().u8(1).u8(0).raw(min).u8(1).varlong(1).str("f").varlong(1).str("v").varlong(0)
                .bytes()).eventTimeMs()).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void shouldRejectTheRecordsTheFuzzerFound() { // CodecFuzzTest, seed 20261130, against the code before issue 12
        EventCodec small = new EventCodec(new EventLimits(6, 12, 86_400_000L, 0L));
        byte[] record113 = HexFormat.of().parseHex("010106e0a080efbfbfffffffffffffffffff01000202663001020030026631"
                + "020ce282ace697a5e69cace282ac0002ffffffffffffffffff016e756c6c01a56e1fc2f8f359024e313ff00000000000");
        assertThatThrownBy(() -> small.decode(record113)).isInstanceOf(MalformedEventException.class); // was SIOOBE
        byte[] record126 = HexFormat.of().parseHex("0100af0900020266300106e697a5e69cac0266310103c3bc20feffffffffffffffff01");
        assertReason(record126, RejectReason.TOO_MANY_FEATURES); // was NegativeArraySizeException: -2
    }

    /** Version 1, no id, time 0, label 1: what follows is the field count. */
    private static Raw head() {
        return new Raw().u8(1).u8(0).varlong(0).u8(1);
    }

    /** Writes the wire format by hand, including values the encoder never writes. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Raw raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        /** {@code v} as an unsigned 64-bit varint (-1 takes 10 bytes). */
        Raw varlong(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varlong(b.length);
            out.writeBytes(b);
            return this;
        }

        Raw f64(double d) {
            long bits = Double.doubleToRawLongBits(d);
            for (int i = 7; i >= 0; i--) {
                out.write((int) (bits >>> (8 * i)) & 0xFF);
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private void assertReason(byte[] bytes, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(MalformedEventException.class)
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(reason));
    }
}
