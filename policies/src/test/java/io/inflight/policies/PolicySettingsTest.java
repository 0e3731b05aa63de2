package io.inflight.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class PolicySettingsTest {

    @Test
    void shouldHaveDocumentedDefaultsAndRoundTrip() {
        PolicySettings d = PolicySettings.defaults();
        assertThat(d.mode()).isEqualTo(PolicyMode.ALL);
        assertThat(d.intervalSteps()).isEqualTo(1000);
        assertThat(d.gamma()).isEqualTo(UtilityRule.DEFAULT_GAMMA);
        assertThat(d.ladderLevels()).containsExactly(Precision.FP32, Precision.FP16, Precision.INT8);
        assertThat(d.sharedFraction()).isEqualTo(0.25);
        assertThat(d.sharedAdaptive()).isTrue();
        assertThat(PolicySettings.fromMap(d.toMap())).isEqualTo(d);
        PolicySettings m = PolicySettings.fromMap(Map.of("inflight.policy.mode", "fiited-manual",
                "inflight.policy.budget.bytes", "1000000", "other.key", "ignored"));
        assertThat(m.mode()).isEqualTo(PolicyMode.FIITED_MANUAL);
        assertThat(m.budgetBytes()).isEqualTo(1_000_000);
    }

    @Test
    void shouldNameTheKeyAndValueOfEveryInvalidSetting() {
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.mode", "fiited")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.policy.mode").hasMessageContaining("value fiited ")
                .hasMessageContaining("fiited-manual");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.interval.steps", "0")))
                .hasMessage("Invalid value 0 for configuration inflight.policy.interval.steps: Value must be at least 1");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.gamma", "1.0")))
                .hasMessage("Invalid value 1.0 for configuration inflight.policy.gamma: must be in (0.0, 1.0)");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.sample.size", "lots")))
                .hasMessage("Invalid value lots for configuration inflight.policy.sample.size: Not a number of type INT");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.budget.bytes", "-5")))
                .hasMessageContaining("inflight.policy.budget.bytes").hasMessageContaining("-5");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.fiited.ratio", "0.99")))
                .hasMessage("Invalid value 0.99 for configuration inflight.policy.fiited.ratio: must be in [0.0, 0.95]");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.chunk.init", "gaussian")))
                .hasMessageContaining("inflight.policy.chunk.init").hasMessageContaining("gaussian").hasMessageContaining("zero, random");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.precision.ladder", "fp32:0.5,int8:0.7,int4")))
                .hasMessageContaining("inflight.policy.precision.ladder").hasMessageContaining("sum");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.precision.ladder", "int8:0.5,fp32")))
                .hasMessageContaining("decreasing bits");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.admission.sketch.width", "1000")))
                .hasMessage("Invalid value 1000 for configuration inflight.policy.admission.sketch.width: must be a power of two in [16, 134217728]");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.budget.evict.fallback", "yes")))
                .hasMessage("Invalid value yes for configuration inflight.policy.budget.evict.fallback: Expected value to be either true or false");
        assertThatThrownBy(() -> PolicySettings.fromMap(Map.of("inflight.policy.gama", "0.9")))
                .hasMessageContaining("unknown policy setting 'inflight.policy.gama'");
    }

    @Test
    void shouldRefuseNonFiniteAndWrappedValuesNamingKeyAndValue() {
        String[][] bad = {
            {PolicySettings.GAMMA, "NaN"}, {PolicySettings.BUDGET_HEADROOM, "Infinity"},
            {PolicySettings.FIITED_RATIO, "-Infinity"}, {PolicySettings.ESAPN_LEARNING_RATE, "1.0E39"},
            {PolicySettings.SAMPLE_SIZE, "4294967312"}, {PolicySettings.ESAPN_HIDDEN, "4294967297"},
            {PolicySettings.ADMISSION_SKETCH_WIDTH, "1073741824"}, {PolicySettings.ESAPN_STATE_SLOTS, "33554432"},
            {PolicySettings.PRECISION_LADDER, "fp32:NaN,int8"}, {PolicySettings.PRECISION_LADDER, "fp32:2,int8"}};
        for (String[] kv : bad) {
            assertThatThrownBy(() -> PolicySettings.fromMap(Map.of(kv[0], kv[1]))).as("%s=%s", kv[0], kv[1])
                    .isInstanceOf(ConfigException.class).hasMessageContaining(kv[0]).hasMessageContaining(kv[1]);
        }
    }

    @Test
    void shouldSizeSharedRowsFromTheBudgetAndRefuseBadShares() {
        PolicySettings hash = PolicySettings.fromMap(Map.of(PolicySettings.MODE, "hash", PolicySettings.BUDGET_BYTES, "24000"));
        assertThat(PolicySettings.sharedRowBytes(16)).as("16 int8 values, scale, linear weight, two accumulators").isEqualTo(24);
        assertThat(hash.sharedRows(16)).as("mode hash: the whole budget").isEqualTo(1000);
        PolicySettings ada = PolicySettings.fromMap(Map.of(PolicySettings.MODE, "adaembed", PolicySettings.BUDGET_BYTES,
                "24000", PolicySettings.SHARED_FRACTION, "0.25"));
        assertThat(ada.sharedRows(16)).as("adaptive: a power of two at most the share").isEqualTo(128);
        assertThat(ada.with(PolicySettings.SHARED_ADAPTIVE, "false").sharedRows(16)).as("fixed").isEqualTo(250);
        assertThat(ada.with(PolicySettings.BUDGET_BYTES, "1864").sharedRows(16))
                .as("a tiny budget keeps a few (1864 x 0.25 / 24 = 19, a power of two: 16)").isEqualTo(16);
        assertThat(ada.with(PolicySettings.BUDGET_BYTES, "80").sharedRows(16)).as("less than one row: none").isZero();
        assertThat(PolicySettings.fromMap(Map.of(PolicySettings.MODE, "adaembed")).sharedRows(16)).as("no budget").isZero();
        Assertions.assertThatThrownBy(() -> PolicySettings.fromMap(Map.of(PolicySettings.MODE, "hash")))
                .hasMessageContaining(PolicySettings.BUDGET_BYTES).hasMessageContaining("mode hash");
        Assertions.assertThatThrownBy(() -> PolicySettings.fromMap(Map.of(PolicySettings.SHARED_FRACTION, "1")))
                .hasMessageContaining(PolicySettings.SHARED_FRACTION).hasMessageContaining("value 1.0 ");
        Assertions.assertThatThrownBy(() -> PolicySettings.fromMap(Map.of(PolicySettings.MODE, "hash",
                PolicySettings.BUDGET_BYTES, "20")).sharedRows(16)).hasMessageContaining("no room for one shared row");
    }
}
