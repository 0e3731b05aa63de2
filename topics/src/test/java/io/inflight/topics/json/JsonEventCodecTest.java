package io.inflight.topics.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
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

    private void assertReason(byte[] bytes, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOfSatisfying(MalformedEventException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
