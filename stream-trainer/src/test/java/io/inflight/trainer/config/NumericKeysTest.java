package io.inflight.trainer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.PolicySettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every numeric key (inflight.model.*, train.*, policy.*, checkpoint.*, publish.*, metrics.*, limits.*,
 * topic.*, store.*) refuses NaN, the infinities and a value out of its range, with a
 * {@link ConfigException} naming the key and the value.
 */
class NumericKeysTest {

    /** One out-of-range value per numeric key. A numeric key missing here fails {@link #shouldCoverEveryNumericKey}. */
    private static final Map<String, String> OUT_OF_RANGE = new TreeMap<>(Map.ofEntries(
            Map.entry(InflightConfig.TOPIC_PARTITIONS, "0"),
            Map.entry(InflightConfig.TOPIC_REPLICATION, "40000"),
            Map.entry(InflightConfig.TOPOLOGY_SHARDS, "1025"),
            Map.entry(InflightConfig.TOPOLOGY_SHARD_WINDOW, "257"),
            Map.entry(InflightConfig.TOPOLOGY_SHARD_CACHE_ROWS, "-1"),
            Map.entry(InflightConfig.MODEL_DIM, "257"),
            Map.entry(InflightConfig.MODEL_HIDDEN, "16,0"),
            Map.entry(InflightConfig.MODEL_DROPOUT, "0.995"),
            Map.entry(InflightConfig.DENSE_LEARNING_RATE, "11"),
            Map.entry(InflightConfig.LEARNING_RATE, "-0.05"),
            Map.entry(InflightConfig.L2, "1.5"),
            Map.entry(InflightConfig.INIT_STDDEV, "-0.01"),
            Map.entry(InflightConfig.SEED, "9223372036854775808"),
            Map.entry(InflightConfig.BATCH_SIZE, "65537"),
            Map.entry(InflightConfig.PUBLISH_EVERY, "-1"),
            Map.entry(InflightConfig.PUBLISH_INTERVAL_MS, "-1"),
            Map.entry(InflightConfig.GATE_AUC_DROP, "1.5"),
            Map.entry(InflightConfig.GATE_NE_RISE, "-0.1"),
            Map.entry(InflightConfig.GATE_MIN_EVENTS, "0"),
            Map.entry(InflightConfig.CHECKPOINT_INTERVAL_MS, "-5"),
            Map.entry(InflightConfig.CHECKPOINT_MAX_BYTES, "0"),
            Map.entry(InflightConfig.THREAD_RESTARTS, "-1"),
            Map.entry(InflightConfig.THREAD_RESTARTS_WINDOW_MS, "999"),
            Map.entry(InflightConfig.AUC_BINS, "63"),
            Map.entry(InflightConfig.WINDOW_EVENTS, "9"),
            Map.entry(InflightConfig.STORE_HOT_ROWS, "0"),
            Map.entry(InflightConfig.STORE_CHUNKS, "0,8"),
            Map.entry(InflightConfig.MAX_FEATURES, "0"),
            Map.entry(InflightConfig.MAX_STRING_BYTES, "2097152"),
            Map.entry(InflightConfig.MAX_FUTURE_SKEW_MS, "-1"),
            Map.entry(PolicySettings.INTERVAL_STEPS, "0"),
            Map.entry(PolicySettings.SAMPLE_SIZE, "4294967312"), // wrapped round to 16 by an int cast before
            Map.entry(PolicySettings.GAMMA, "1"),
            Map.entry(PolicySettings.BUDGET_BYTES, "-1"),
            Map.entry(PolicySettings.BUDGET_HEADROOM, "0.5"),
            Map.entry(PolicySettings.SEED, "9223372036854775808"),
            Map.entry(PolicySettings.FIITED_RATIO, "0.96"),
            Map.entry(PolicySettings.FIITED_EXPONENT, "5"),
            Map.entry(PolicySettings.FIITED_CROSSING_FRACTION, "1.5"),
            Map.entry(PolicySettings.FIITED2D_COLDSTART_STEPS, "-1"),
            Map.entry(PolicySettings.FIITED2D_DROP_RATIO, "1"),
            Map.entry(PolicySettings.ADAEMBED_CAPACITY_ROWS, "-1"),
            Map.entry(PolicySettings.ADMISSION_COUNT, "0"),
            Map.entry(PolicySettings.ADMISSION_SKETCH_WIDTH, "1073741824"),
            Map.entry(PolicySettings.ADMISSION_SKETCH_DEPTH, "17"),
            Map.entry(PolicySettings.ADMISSION_SKETCH_AGING, "-1"),
            Map.entry(PolicySettings.ESAPN_HIDDEN, "4097"),
            Map.entry(PolicySettings.ESAPN_LEARNING_RATE, "1"),
            Map.entry(PolicySettings.ESAPN_BUCKETS, "65"),
            Map.entry(PolicySettings.ESAPN_STATE_SLOTS, "33554432"),
            Map.entry(PolicySettings.PRECISION_LADDER, "fp32:0.05,fp16:1.5,int8"),
            Map.entry(PolicySettings.SHARED_FRACTION, "1")));

    /** Keys whose value is a list of numbers, or holds numbers: NaN is put in the place of one of them. */
    private static final Map<String, String> NUMBER_IN_LIST = Map.of(
            InflightConfig.MODEL_HIDDEN, "16,%s",
            InflightConfig.STORE_CHUNKS, "4,%s",
            PolicySettings.PRECISION_LADDER, "fp32:%s,int8");

    /** A mini-batch deep model, so that every key (store.*, dropout, hidden) is read and validated. */
    /** A valid deepfm configuration with fields a, b, then the given key, value pairs. */
    private static Map<String, String> base(String... keysAndValues) {
        Map<String, String> m = new HashMap<>();
        m.put("kafka.bootstrap.servers", "localhost:9092");
        m.put(InflightConfig.MODEL_TYPE, "deepfm");
        m.put(InflightConfig.MODEL_FIELDS, "a,b");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /** Every numeric inflight.* key of {@link InflightConfig#DEF} and {@link PolicySettings}. */
    private static List<String> numericKeys() {
        List<String> keys = new ArrayList<>();
        for (ConfigDef.ConfigKey k : InflightConfig.DEF.configKeys().values()) {
            if (k.type == ConfigDef.Type.INT || k.type == ConfigDef.Type.SHORT || k.type == ConfigDef.Type.LONG
                    || k.type == ConfigDef.Type.DOUBLE) {
                keys.add(k.name);
            }
        }
        keys.addAll(NUMBER_IN_LIST.keySet());
        for (Map.Entry<String, String> e : PolicySettings.defaults().toMap().entrySet()) {
            try {
                Double.parseDouble(e.getValue());
                keys.add(e.getKey());
            } catch (NumberFormatException notNumeric) {
                // mode, utility kind, chunk init, baseline, the evict fallback: names, not numbers
            }
        }
        return keys.stream().distinct().sorted().toList();
    }

    static Stream<Arguments> badValues() {
        List<Arguments> out = new ArrayList<>();
        for (String key : numericKeys()) {
            for (String bad : new String[] {"NaN", "Infinity", "-Infinity"}) {
                String value = NUMBER_IN_LIST.containsKey(key) ? String.format(NUMBER_IN_LIST.get(key), bad) : bad;
                out.add(Arguments.of(key, value, bad));
            }
            out.add(Arguments.of(key, OUT_OF_RANGE.get(key), OUT_OF_RANGE.get(key)));
        }
        return out.stream();
    }

    @Test
    void shouldCoverEveryNumericKey() {
        assertThat(new TreeSet<>(OUT_OF_RANGE.keySet())).containsExactlyElementsOf(new TreeSet<>(numericKeys()));
        assertThat(numericKeys()).contains(InflightConfig.INIT_STDDEV, InflightConfig.DENSE_LEARNING_RATE,
                PolicySettings.BUDGET_BYTES, InflightConfig.MAX_FUTURE_SKEW_MS, InflightConfig.CHECKPOINT_MAX_BYTES);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void shouldRefuseNaNInfinitiesAndOutOfRangeNamingKeyAndValue(String key, String value, String shown) {
        Map<String, String> m = base();
        m.put(key, value);
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(key).hasMessageContaining(shown);
    }

    @Test
    void shouldAcceptTheDefaultsAndTheEdgesOfTheRanges() {
        Map<String, String> m = base(InflightConfig.INIT_STDDEV, "0", InflightConfig.MODEL_DROPOUT, "0.99",
                InflightConfig.DENSE_LEARNING_RATE, "10", PolicySettings.SAMPLE_SIZE, "16777216",
                PolicySettings.ADMISSION_SKETCH_WIDTH, "33554432", PolicySettings.ADMISSION_SKETCH_DEPTH, "4");
        InflightConfig c = InflightConfig.parse(m);
        assertThat(c.batchSettings().initStddev()).isZero();
        assertThat(c.policySettings().sampleSize()).isEqualTo(16_777_216);
        assertThat(c.warnings()).isEmpty();
    }

    @Test
    void shouldRefuseABudgetSmallerThanOneRowNamingKeyAndValue() {
        Map<String, String> m = base(InflightConfig.MODEL_DIM, "16", InflightConfig.STORE_CHUNKS, "4,4,4,4",
                PolicySettings.MODE, "fiited-adaptive");
        // a row of 4 x 4 fp32: 64 bytes of values + 22 + 2 + 4 x 5 of metadata (row-wise Adagrad) = 108 bytes
        m.put(PolicySettings.BUDGET_BYTES, "100");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(PolicySettings.BUDGET_BYTES).hasMessageContaining("100")
                .hasMessageContaining("smaller than one row").hasMessageContaining("108 bytes")
                .hasMessageContaining("give at least 278"); // 278 x 0.95 - two shared rows of 24 >= 2 fields x 108
        // larger than a row, but a pass aims at 95% of it less the shared rows (two of 24 bytes here):
        // less than the two rows of one event
        m.put(PolicySettings.BUDGET_BYTES, "277");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(PolicySettings.BUDGET_BYTES).hasMessageContaining("277")
                .hasMessageContaining("every pass would evict");
        m.put(PolicySettings.BUDGET_BYTES, "278");
        assertThat(InflightConfig.parse(m).policySettings().budgetBytes()).isEqualTo(278);
        // ESAPN rows start at one chunk: 16 + 24 + 20 = 60 bytes, so a smaller budget is enough, but its
        // per-feature state (at least 16 slots of 34 bytes) and 8 shared rows (192 bytes) count in the
        // budget too: (873 - 544) x 0.95 - 192 >= 2 x 60
        m.put(PolicySettings.MODE, "esapn");
        m.put(PolicySettings.BUDGET_BYTES, "873");
        assertThat(InflightConfig.parse(m).policySettings().budgetBytes()).isEqualTo(873);
        m.put(PolicySettings.BUDGET_BYTES, "872");
        assertThatThrownBy(() -> InflightConfig.parse(m)).hasMessageContaining("one chunk, mode esapn");
    }

    @Test
    void shouldOnlyWarnAboutABudgetThatNoPolicyEnforces() {
        Map<String, String> m = base();
        m.put(PolicySettings.BUDGET_BYTES, "10");
        InflightConfig c = InflightConfig.parse(m);
        assertThat(c.warnings()).singleElement().asString().contains(PolicySettings.BUDGET_BYTES + "=10")
                .contains("no effect");
    }
}
