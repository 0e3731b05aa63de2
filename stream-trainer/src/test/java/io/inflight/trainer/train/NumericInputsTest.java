package io.inflight.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.NumericField;
import java.util.List;
import org.junit.jupiter.api.Test;

class NumericInputsTest {

    private static ClickEvent event(ClickEvent.Numeric... numerics) {
        return new ClickEvent(null, 0, 0, List.of(ClickEvent.Field.of("a", "1")), List.of(numerics));
    }

    @Test
    void shouldApplyTheSignedLogByDefault() {
        NumericField.Transform log = NumericField.parse("x").transform();
        assertThat(log).isEqualTo(NumericField.Transform.LOG);
        assertThat(log.apply(0)).isEqualTo(0f);
        assertThat(log.apply(Math.E - 1)).isEqualTo(1f);
        assertThat(log.apply(-(Math.E - 1))).isEqualTo(-1f);
        assertThat(log.apply(1e6)).isEqualTo((float) Math.log1p(1e6));
        assertThat(log.apply(-3.5)).isEqualTo((float) -Math.log1p(3.5));
        assertThat(NumericField.parse("x:none").transform().apply(-3.5)).isEqualTo(-3.5f);
    }

    @Test
    void shouldFillConfiguredFieldsInOrderAndZeroForMissingOnes() {
        NumericInputs in = new NumericInputs(NumericField.parseList(List.of("price", "age:none", "count:log")));
        assertThat(in.size()).isEqualTo(3);
        float[] dst = {9f, 9f, 9f, 9f, 9f};
        // fields in another order than configured, one missing, one not configured
        in.fill(event(new ClickEvent.Numeric("age", 41), new ClickEvent.Numeric("other", 5),
                new ClickEvent.Numeric("price", Math.E - 1)), dst, 1);
        assertThat(dst).containsExactly(9f, 1f, 41f, 0f, 9f);
        in.fill(event(), dst, 1);
        assertThat(dst).containsExactly(9f, 0f, 0f, 0f, 9f);
    }

    @Test
    void shouldFeedZeroForANonFiniteValue() {
        NumericInputs in = new NumericInputs(NumericField.parseList(List.of("x", "y:none")));
        float[] dst = new float[2];
        in.fill(event(new ClickEvent.Numeric("x", Double.POSITIVE_INFINITY), new ClickEvent.Numeric("y", Double.NaN)),
                dst, 0);
        assertThat(dst).containsExactly(0f, 0f);
    }

    @Test
    void shouldWriteNothingWithoutNumericFields() {
        NumericInputs in = new NumericInputs(List.of());
        float[] dst = {};
        in.fill(event(new ClickEvent.Numeric("x", 1)), dst, 0);
        assertThat(in.size()).isZero();
    }

    @Test
    void shouldRejectBadSpecsNamingThem() {
        assertThatThrownBy(() -> NumericField.parse("x:sqrt")).hasMessageContaining("x:sqrt").hasMessageContaining("sqrt");
        assertThatThrownBy(() -> NumericField.parse(":log")).hasMessageContaining(":log");
        assertThatThrownBy(() -> NumericField.parseList(List.of("x", "x:none"))).hasMessageContaining("'x'")
                .hasMessageContaining("twice");
        assertThat(NumericField.parseList(List.of("x:none", " ", "y"))).containsExactly(
                new NumericField("x", NumericField.Transform.NONE), new NumericField("y", NumericField.Transform.LOG));
    }
}
