package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.trainer.config.InflightConfig;
import org.junit.jupiter.api.Test;

class DemoSettingsTest {

    private static final String BOOTSTRAP = "127.0.0.1:9092";

    private static ConfigOptions options(String... kv) {
        ConfigOptions o = new ConfigOptions();
        for (int i = 0; i < kv.length; i += 2) {
            o.overrides.put(kv[i], kv[i + 1]);
        }
        DemoSettings.applyDefaults(o, GeneratorSpec.defaults(1000, 42));
        return o;
    }

    @Test
    void shouldTrainTheGeneratorsFieldsInFourChunksUnderModeAll() {
        InflightConfig c = options().resolve(BOOTSTRAP);
        assertThat(c.batchSettings().fields()).containsExactly("f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7");
        assertThat(c.storeConfig(c.batchSettings()).layout().widths()).containsExactly(2, 2, 2, 2);
        assertThat(c.policySettings().mode()).isEqualTo(PolicyMode.ALL);
        assertThat(c.policySettings().intervalSteps()).isEqualTo(100);
        assertThat(options(InflightConfig.MODEL_DIM, "16").resolve(BOOTSTRAP).getList(InflightConfig.STORE_CHUNKS))
                .containsExactly("4", "4", "4", "4");
    }

    @Test
    void shouldLeaveWhatTheUserSetAlone() {
        InflightConfig c = options(InflightConfig.MODEL_FIELDS, "f0,f1", InflightConfig.STORE_CHUNKS, "6,2",
                PolicySettings.MODE, "adaembed").resolve(BOOTSTRAP);
        assertThat(c.batchSettings().fields()).containsExactly("f0", "f1");
        assertThat(c.getList(InflightConfig.STORE_CHUNKS)).containsExactly("6", "2");
        assertThat(c.policySettings().mode()).isEqualTo(PolicyMode.ADAEMBED);
        // a dimension four equal chunks cannot split: one chunk
        assertThat(options(InflightConfig.MODEL_DIM, "6").resolve(BOOTSTRAP).getList(InflightConfig.STORE_CHUNKS)).isEmpty();
    }

    @Test
    void shouldSetTheBudgetToAShareOfTheFp32TableUnlessOneIsSetOrNoPolicyRuns() {
        ConfigOptions o = options();
        long row = DemoSettings.fp32RowBytes(o.resolve(BOOTSTRAP));
        assertThat(row).isGreaterThan(4L * 9); // at least the fp32 values and the linear weight
        assertThat(DemoSettings.withBudget(o, BOOTSTRAP, 50_000, 0.1).policySettings().budgetBytes())
                .isEqualTo(Math.round(0.1 * 50_000 * row));
        // a stream too short for its share still gets a budget that holds a few events' rows
        assertThat(DemoSettings.withBudget(options(), BOOTSTRAP, 300, 0.02).policySettings().budgetBytes())
                .isEqualTo(DemoSettings.LEAST_EVENTS * 8 * row);
        assertThat(DemoSettings.withBudget(options(PolicySettings.BUDGET_BYTES, "3000000"), BOOTSTRAP, 50_000, 0.1)
                .policySettings().budgetBytes()).isEqualTo(3_000_000);
        assertThat(DemoSettings.withBudget(options(PolicySettings.MODE, "none"), BOOTSTRAP, 50_000, 0.1)
                .policySettings().budgetBytes()).isZero();
    }
}
