package io.inflight.topics.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonEventCodecTest {

    private final JsonEventCodec codec = new JsonEventCodec(EventLimits.DEFAULTS);

    @Test
    void shouldDecodeTheDocumentedExample() {
        ClickEvent e = codec.decode("{\"id\": \"e-1\", \"time\": 1700000000000, \"label\": 1,"
                + " \"fields\": {\"site\": \"a1\", \"tags\": [\"x\",\"y\"], \"hour\": 13}, \"numeric\": {\"price\": 3.5}}");
        assertThat(e).isEqualTo(new ClickEvent("e-1", 1_700_000_000_000L, 1,
                List.of(ClickEvent.Field.of("site", "a1"), new ClickEvent.Field("tags", List.of("x", "y")),
                        ClickEvent.Field.of("hour", "13")),
                List.of(new ClickEvent.Numeric("price", 3.5))));
    }

    @Test
    void shouldTreatIdAndNumericAsOptionalAndAcceptIsoTimeAndBooleanLabel() {
        ClickEvent e = codec.decode("{\"time\": \"2024-01-31T12:00:00Z\", \"label\": true, \"fields\": {\"a\": \"b\", \"gone\": null}}");
        assertThat(e.id()).isNull();
        assertThat(e.eventTimeMs()).isEqualTo(1_706_702_400_000L);
        assertThat(e.label()).isEqualTo(1);
        assertThat(e.fields()).containsExactly(ClickEvent.Field.of("a", "b"));
        assertThat(e.numerics()).isEmpty();
    }

    @Test
    void shouldRoundTripEventsIncludingTheBinaryCodec() {
        ClickEvent e = new ClickEvent("id-ü", -5L, 0,
                List.of(ClickEvent.Field.of("u", "42"), new ClickEvent.Field("g", List.of("Drama", "War")),
                        new ClickEvent.Field("empty", List.of())),
                List.of(new ClickEvent.Numeric("x", -0.25), new ClickEvent.Numeric("nan", Double.NaN)));
        ClickEvent back = codec.decode(codec.encode(e));
        assertThat(back).isEqualTo(e);
        EventCodec binary = new EventCodec(EventLimits.DEFAULTS);
        assertThat(codec.decode(codec.encode(binary.decode(binary.encode(e))))).isEqualTo(e);
        assertThat(codec.encodeToString(e)).doesNotContain("\n").startsWith("{\"id\":\"id-ü\",\"time\":-5,\"label\":0,");
    }

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', value = {
        "not json|BAD_SYNTAX",
        "[1, 2]|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"b\"}} trailing|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"b\"|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"lable\": 1}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"label\": 0}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": [\"a\"]}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": {\"b\": 1}}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"numeric\": {\"p\": \"cheap\"}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"id\": 7}|BAD_SYNTAX",
        "{\"time\": 1, \"fields\": {\"a\": \"b\"}}|MISSING_LABEL",
        "{\"time\": 1, \"label\": null}|MISSING_LABEL",
        "{\"time\": 1, \"label\": \"yes\"}|BAD_LABEL",
        "{\"time\": 1, \"label\": 0.5}|BAD_LABEL",
        "{\"label\": 1, \"fields\": {\"a\": \"b\"}}|BAD_TIME",
        "{\"time\": \"yesterday\", \"label\": 1}|BAD_TIME",
        "{\"time\": 1.5, \"label\": 1}|BAD_TIME",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"b\", \"a\": \"c\"}}|DUPLICATE_FIELD",
        "{\"time\": 1, \"label\": 1, \"numeric\": {\"p\": 1, \"p\": 2}}|DUPLICATE_FIELD",
    })
    void shouldRejectMalformedJsonWithTheMatchingReason(String json, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(json))
                .isInstanceOfSatisfying(MalformedEventException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void shouldRejectEmptyInvalidUtf8AndLimitViolations() {
        assertReason(new byte[0], RejectReason.EMPTY);
        assertReason(new byte[] {'{', '"', (byte) 0xC3, '"', '}'}, RejectReason.BAD_UTF8);
        JsonEventCodec small = new JsonEventCodec(new EventLimits(2, 8, 0, 0));
        assertThatThrownBy(() -> small.decode("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": [\"1\", \"2\", \"3\"]}}"))
                .isInstanceOfSatisfying(MalformedEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_FEATURES));
        assertThatThrownBy(() -> small.decode("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"123456789\"}}"))
                .isInstanceOfSatisfying(MalformedEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.STRING_TOO_LONG))
                .hasMessageContaining("'a'");
    }

    // Issue 12, item 7 (JSON half): the JSON path rejects what the binary path rejects, with the same reason.

    @ParameterizedTest(name = "{1}: {0}")
    @CsvSource(delimiter = '|', value = {
        // lone or misordered surrogates cannot be encoded in UTF-8: the binary path rejects them as bad-utf8
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"\\ud800\"}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\\udc00y\"}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"\\udc00\\ud800\"}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\\ud83d\"}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": [\"x\", \"\\ud800\"]}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"\\ud800\": \"x\"}}|BAD_UTF8",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": {\"\\udfff\": 1}}|BAD_UTF8",
        "{\"id\": \"\\ud800\", \"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_UTF8",
        // a syntax error that merely quotes the word stays a syntax error
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": surrogate}}|BAD_SYNTAX",
        // null, arrays or objects where a string is expected
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": [\"x\", null]}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": [\"x\", [\"y\"]]}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": [{\"y\": \"z\"}]}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": {\"p\": [1]}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": {\"p\": {\"q\": 1}}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": {\"p\": true}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": [1]}|BAD_SYNTAX",
        "{\"id\": [\"e\"], \"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_SYNTAX",
        "{\"id\": {}, \"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_SYNTAX",
        "{\"time\": [1], \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_TIME",
        "{\"time\": null, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_TIME",
        "{\"time\": 99999999999999999999, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_TIME",
        "{\"time\": 1, \"label\": [1], \"fields\": {\"a\": \"x\"}}|BAD_LABEL",
        "{\"time\": 1, \"label\": 99999999999999999999, \"fields\": {\"a\": \"x\"}}|BAD_LABEL",
        "null|BAD_SYNTAX",
        "\"event\"|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}} {}|BAD_SYNTAX",
        // duplicated keys
        "{\"time\": 1, \"time\": 2, \"label\": 1, \"fields\": {\"a\": \"x\"}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"fields\": {\"b\": \"y\"}}|BAD_SYNTAX",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": null, \"a\": \"x\"}}|DUPLICATE_FIELD",
        "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}, \"numeric\": {\"p\": null, \"p\": 2}}|DUPLICATE_FIELD",
    })
    void shouldRejectWhatTheBinaryPathRejects(String json, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(json))
                .isInstanceOfSatisfying(MalformedEventException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @Test
    void shouldAcceptAProperSurrogatePair() {
        ClickEvent e = codec.decode("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"\\ud83d\\ude00\", \"\\ud83d\\ude01\": \"x\"}}");
        assertThat(e.fields()).containsExactly(ClickEvent.Field.of("a", "\uD83D\uDE00"), ClickEvent.Field.of("\uD83D\uDE01", "x"));
        EventCodec binary = new EventCodec(EventLimits.DEFAULTS);
        assertThat(binary.decode(binary.encode(e))).isEqualTo(e);
    }

    @Test
    void shouldRejectAByteOrderMark() { // the binary path reads it as an unknown version; JSON text (RFC 8259) has none
        byte[] json = "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}}".getBytes(StandardCharsets.UTF_8);
        byte[] bom = new byte[json.length + 3];
        bom[0] = (byte) 0xEF;
        bom[1] = (byte) 0xBB;
        bom[2] = (byte) 0xBF;
        System.arraycopy(json, 0, bom, 3, json.length);
        assertReason(bom, RejectReason.BAD_SYNTAX);
    }

    @Test
    void shouldRejectInvalidUtf8Bytes() {
        byte[][] bad = {
            {(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0xC3}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xC1, (byte) 0xBF},
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xED, (byte) 0xBF, (byte) 0xBF},
            {(byte) 0xF0, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
        };
        for (byte[] b : bad) {
            for (String where : new String[] {"value", "name"}) {
                byte[] json = where.equals("value")
                        ? concat("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"", b, "\"}}")
                        : concat("{\"time\": 1, \"label\": 1, \"fields\": {\"", b, "\": \"x\"}}");
                assertThatThrownBy(() -> codec.decode(json)).as("%s %s", where, HexFormat.of().formatHex(b))
                        .isInstanceOfSatisfying(MalformedEventException.class,
                                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_UTF8));
            }
        }
        // the largest code points of each length are fine
        String ok = "\u007F\u07FF\uFFFF\uDBFF\uDFFF";
        assertThat(codec.decode(concat("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"",
                ok.getBytes(StandardCharsets.UTF_8), "\"}}")).fields().get(0).values()).containsExactly(ok);
    }

    @Test
    void shouldRejectOtherEncodingsOfJson() { // Jackson would detect UTF-16/32 from the zero bytes and read them
        String json = "{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\"}}";
        for (Charset cs : new Charset[] {StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                Charset.forName("UTF-32BE"), Charset.forName("UTF-32LE")}) {
            assertThatThrownBy(() -> codec.decode(json.getBytes(cs))).as(cs.name())
                    .isInstanceOfSatisfying(MalformedEventException.class,
                            e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_SYNTAX));
        }
        assertReason(concat("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"", new byte[] {0}, "\"}}"), RejectReason.BAD_SYNTAX);
    }

    @Test
    void shouldLimitTheNumberOfFieldsLikeTheBinaryPath() { // empty multi-valued fields carry no feature but still count
        JsonEventCodec small = new JsonEventCodec(new EventLimits(2, 8, 0, 0));
        assertThatThrownBy(() -> small.decode("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\", \"b\": [], \"c\": []}}"))
                .isInstanceOfSatisfying(MalformedEventException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.TOO_MANY_FEATURES));
        assertThat(small.decode("{\"time\": 1, \"label\": 1, \"fields\": {\"a\": \"x\", \"b\": []}}").fields()).hasSize(2);
    }

    // Records the fuzzer (CodecFuzzTest, seed 20261130) found against the code before issue 12.

    @Test
    void shouldRejectABinaryRecordThatJacksonWouldReadAsUtf32() { // was UncheckedIOException (CharConversionException)
        assertReason(HexFormat.of().parseHex("01000000020266300100"), RejectReason.BAD_SYNTAX);
    }

    @Test
    void shouldRejectTheLoneSurrogatesThatDidNotRoundTrip() { // the binary encoder wrote them as '?'
        assertReason(HexFormat.of().parseHex("7b2274696d65223a313639373833323339353237362c226c6162656c223a312c22"
                + "6669656c6473223a7b226630223a5b5d2c226631223a22222c226632223a225c75444246465c75444246465c5c227d2c226e756d"
                + "65726963223a7b226e30223a3937313639372e333331333832333738372c226e31223a2d312e37393736393331333438363233"
                + "313537453330387d7d"), RejectReason.BAD_UTF8);
    }

    private static byte[] concat(String head, byte[] middle, String tail) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        byte[] t = tail.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[h.length + middle.length + t.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(middle, 0, out, h.length, middle.length);
        System.arraycopy(t, 0, out, h.length + middle.length, t.length);
        return out;
    }

    private void assertReason(byte[] bytes, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOfSatisfying(MalformedEventException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
