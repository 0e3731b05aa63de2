package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EventValidatorTest {

    private static final long NOW = 1_800_000_000_000L;
    private final EventValidator validator = new EventValidator(EventLimits.DEFAULTS);

    private static ClickEvent event(int label, long time, List<ClickEvent.Field> fields, List<ClickEvent.Numeric> nums) {
        return new ClickEvent(null, time, label, fields, nums);
    }

    @Test
    void shouldAcceptAWellFormedEvent() {
        assertThatCode(() -> validator.validate(event(1, NOW, List.of(ClickEvent.Field.of("a", "1")),
                List.of(new ClickEvent.Numeric("x", 1.5))), NOW)).doesNotThrowAnyException();
    }

    @Test
    void shouldRejectEachProblemWithItsReason() {
        var ok = List.of(ClickEvent.Field.of("a", "1"));
        assertReason(event(7, NOW, ok, List.of()), RejectReason.BAD_LABEL, "got 7");
        assertReason(event(0, -1, ok, List.of()), RejectReason.BAD_TIME, "-1");
        assertReason(event(0, NOW + 2 * 86_400_000L, ok, List.of()), RejectReason.BAD_TIME, "future");
        assertReason(event(0, NOW, List.of(), List.of()), RejectReason.NO_FEATURES, "no categorical");
        assertReason(event(0, NOW, List.of(ClickEvent.Field.of("a", "1"), ClickEvent.Field.of("a", "2")), List.of()),
                RejectReason.DUPLICATE_FIELD, "'a'");
        assertReason(event(0, NOW, List.of(ClickEvent.Field.of("", "1")), List.of()), RejectReason.EMPTY_NAME, "empty");
        assertReason(event(0, NOW, ok, List.of(new ClickEvent.Numeric("x", Double.NaN))), RejectReason.NON_FINITE, "NaN");
        assertReason(event(0, NOW, ok, List.of(new ClickEvent.Numeric("x", Double.NEGATIVE_INFINITY))),
                RejectReason.NON_FINITE, "Infinity");
    }

    @Test
    void shouldFindADuplicateAmongManyNamesPairwiseOrHashed() {
        for (int names : new int[] {3, EventValidator.PAIRWISE_NAMES, EventValidator.PAIRWISE_NAMES + 5}) {
            List<ClickEvent.Field> fields = new java.util.ArrayList<>();
            for (int i = 0; i < names - 1; i++) {
                fields.add(ClickEvent.Field.of("f" + i, "v"));
            }
            // the last name repeats the first as a numeric field, or as a categorical one (a new String)
            List<ClickEvent.Numeric> numeric = List.of(new ClickEvent.Numeric(new String("f0"), 1.0));
            assertReason(event(0, NOW, fields, numeric), RejectReason.DUPLICATE_FIELD, "'f0'");
            List<ClickEvent.Field> repeated = new java.util.ArrayList<>(fields);
            repeated.add(ClickEvent.Field.of(new String("f" + (names - 2)), "w"));
            assertReason(event(0, NOW, repeated, List.of()), RejectReason.DUPLICATE_FIELD, "'f" + (names - 2) + "'");
            assertThatCode(() -> validator.validate(event(0, NOW, fields, List.of(new ClickEvent.Numeric("x", 1.0))), NOW))
                    .doesNotThrowAnyException();
        }
    }

    private void assertReason(ClickEvent e, RejectReason reason, String detail) {
        assertThatThrownBy(() -> validator.validate(e, NOW)).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining(detail)
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(reason));
    }
}
