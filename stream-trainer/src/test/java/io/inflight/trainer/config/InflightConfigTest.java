package io.inflight.trainer.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.trainer.model.DeepModelSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class InflightConfigTest {

    private static Map<String, String> base() {
        Map<String, String> m = new HashMap<>();
        m.put("kafka.bootstrap.servers", "localhost:9092");
        return m;
    }

    @Test
    void shouldRefuseRowShardsWithStepPoliciesOrPerPartitionModelsNamingTheKey() {
        for (String mode : List.of("all", "esapn", "hash", "fiited-2d")) {
            assertThatThrownBy(() -> InflightConfig.parse(with(InflightConfig.MODEL_FIELDS, "f0,f1",
                    InflightConfig.TOPOLOGY_SHARDS, "2", "inflight.policy.mode", mode, "inflight.policy.budget.bytes", "1000000")))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("inflight.policy.mode").hasMessageContaining(mode)
                    .hasMessageContaining("adaembed, fiited-manual, fiited-adaptive, precision");
        }
        for (String mode : List.of("adaembed", "fiited-manual", "fiited-adaptive", "precision")) {
            assertThat(InflightConfig.parse(with(InflightConfig.MODEL_FIELDS, "f0,f1", InflightConfig.TOPOLOGY_SHARDS, "2",
                    "inflight.policy.mode", mode, "inflight.policy.budget.bytes", "1000000")).policySettings().mode()
                    .configName()).isEqualTo(mode);
        }
        assertThatThrownBy(() -> InflightConfig.parse(with(InflightConfig.MODEL_FIELDS, "f0,f1",
                InflightConfig.TOPOLOGY_SHARDS, "2", "inflight.policy.mode", "none",
                InflightConfig.TOPOLOGY_MODELS, InflightConfig.MODELS_PER_PARTITION))).isInstanceOf(ConfigException.class)
                .hasMessageContaining(InflightConfig.TOPOLOGY_MODELS).hasMessageContaining("per-partition");
        assertThatThrownBy(() -> InflightConfig.parse(with(InflightConfig.TOPOLOGY_SHARD_WINDOW, "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(InflightConfig.TOPOLOGY_SHARD_WINDOW);
        InflightConfig ok = InflightConfig.parse(with(InflightConfig.MODEL_FIELDS, "f0,f1",
                InflightConfig.TOPOLOGY_SHARDS, "2")); // the trainer's default mode is none
        assertThat(ok.shards()).isEqualTo(2);
        assertThat(ok.shardWindow()).isEqualTo(32);
        assertThat(ok.shardCacheRows()).isEqualTo(65_536);
    }

    /** {@link #base()} with {@code keyValues} added. */
    private static Map<String, String> with(String... keyValues) {
        Map<String, String> m = base();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @Test
    void shouldUseDefaultsWithExactlyOnceV2() {
        InflightConfig c = InflightConfig.parse(base());
        Properties p = c.streamsProperties();
        assertThat(p.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
        assertThat(p.getProperty(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("inflight-trainer");
        assertThat(p.getProperty("bootstrap.servers")).isEqualTo("localhost:9092");
        assertThat(c.topics().clicks()).isEqualTo("inflight.clicks");
        assertThat(c.trainerSettings()).isEqualTo(TrainerSettings.defaults());
    }

    @Test
    void shouldTrainEachModelAtItsOwnLearningRatesUnlessTheyAreSet() {
        for (String model : List.of("lr", "fm", "dnn", "deepfm", "dcn")) {
            Map<String, String> m = base();
            m.put(InflightConfig.MODEL_TYPE, model);
            m.put(InflightConfig.MODEL_FIELDS, "a,b");
            BatchSettings defaults = InflightConfig.parse(m).batchSettings();
            assertThat(defaults.embeddingLearningRate()).isEqualTo(ModelDefaults.of(model).embedding());
            assertThat(defaults.denseLearningRate()).isEqualTo(ModelDefaults.of(model).dense());
            assertThat(InflightConfig.parse(m).trainerSettings().learningRate()).isEqualTo(ModelDefaults.of(model).embedding());
            m.put(InflightConfig.LEARNING_RATE, "0.0123");
            m.put(InflightConfig.DENSE_LEARNING_RATE, "0.000456");
            BatchSettings set = InflightConfig.parse(m).batchSettings();
            assertThat(set.embeddingLearningRate()).isEqualTo(0.0123);
            assertThat(set.denseLearningRate()).isEqualTo(0.000456);
        }
        assertThat(ModelDefaults.of("lr")).isNotEqualTo(ModelDefaults.of("dnn")); // the defaults do differ by model
        assertThatThrownBy(() -> ModelDefaults.of("svm")).hasMessageContaining("svm");
    }

    @Test
    void shouldPassKafkaKeysToEveryClientAndStreamsKeysToStreamsOnly() {
        Map<String, String> m = base();
        m.put("kafka.security.protocol", "SASL_SSL");
        m.put("kafka.sasl.mechanism", "PLAIN");
        m.put("streams.num.stream.threads", "2");
        m.put("streams.processing.guarantee", "at_least_once");
        InflightConfig c = InflightConfig.parse(m);
        assertThat(c.kafkaClientConfigs()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN").doesNotContainKey("num.stream.threads");
        Properties p = c.streamsProperties();
        assertThat(p.getProperty("security.protocol")).isEqualTo("SASL_SSL");
        assertThat(p.getProperty("num.stream.threads")).isEqualTo("2");
        assertThat(p.getProperty(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("at_least_once");
    }

    @Test
    void shouldDefaultLargerProducerBatchesUnlessSomeoneSetThem() {
        Properties defaults = InflightConfig.parse(base()).streamsProperties();
        assertThat(defaults.getProperty("producer.batch.size")).isEqualTo("262144");
        assertThat(defaults.getProperty("producer.linger.ms")).isEqualTo("10");
        assertThat(defaults.getProperty("producer.compression.type")).isEqualTo("lz4");
        Map<String, String> m = base();
        m.put("kafka.compression.type", "zstd");
        m.put("kafka.batch.size", "32768");
        m.put("streams.producer.linger.ms", "0");
        Properties p = InflightConfig.parse(m).streamsProperties();
        assertThat(p.getProperty("batch.size")).isEqualTo("32768");
        assertThat(p.getProperty("producer.batch.size")).isNull(); // would shadow the user's kafka.batch.size
        assertThat(p.getProperty("producer.linger.ms")).isEqualTo("0");
        assertThat(p.getProperty("compression.type")).isEqualTo("zstd");
        assertThat(p.getProperty("producer.compression.type")).isNull();
    }

    @Test
    void shouldDefaultAShortSessionTimeoutForFailoverUnlessSomeoneSetIt() {
        Properties defaults = InflightConfig.parse(base()).streamsProperties();
        assertThat(defaults.getProperty(StreamsConfig.mainConsumerPrefix("session.timeout.ms")))
                .isEqualTo(Integer.toString(InflightConfig.DEFAULT_SESSION_TIMEOUT_MS));
        for (String key : new String[] {"kafka.session.timeout.ms", "streams.session.timeout.ms",
                "streams.consumer.session.timeout.ms", "streams.main.consumer.session.timeout.ms"}) {
            Map<String, String> m = base();
            m.put(key, "30000");
            Properties p = InflightConfig.parse(m).streamsProperties();
            // the main consumer's value as Streams resolves it: main.consumer., then consumer., then plain
            String effective = p.getProperty(StreamsConfig.mainConsumerPrefix("session.timeout.ms"),
                    p.getProperty(StreamsConfig.consumerPrefix("session.timeout.ms"), p.getProperty("session.timeout.ms")));
            assertThat(effective).as(key).isEqualTo("30000");
        }
    }

    @Test
    void shouldTrainOneModelByDefaultAndRejectAnUnknownTopologyNamingKeyAndValue() {
        assertThat(InflightConfig.parse(base()).oneModel()).isTrue();
        Map<String, String> per = base();
        per.put(InflightConfig.TOPOLOGY_MODELS, "per-partition");
        assertThat(InflightConfig.parse(per).oneModel()).isFalse();
        Map<String, String> bad = base();
        bad.put(InflightConfig.TOPOLOGY_MODELS, "two");
        assertThatThrownBy(() -> InflightConfig.parse(bad)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(InflightConfig.TOPOLOGY_MODELS).hasMessageContaining("two");
    }

    @Test
    void shouldRejectBadCadenceValuesNamingTheKey() {
        Map<String, String> m = base();
        m.put(InflightConfig.CHECKPOINT_INTERVAL_MS, "-1");
        assertThatThrownBy(() -> InflightConfig.parse(m)).hasMessageContaining(InflightConfig.CHECKPOINT_INTERVAL_MS)
                .hasMessageContaining("-1");
        Map<String, String> n = base();
        n.put(InflightConfig.PUBLISH_INTERVAL_MS, "soon");
        assertThatThrownBy(() -> InflightConfig.parse(n)).hasMessageContaining(InflightConfig.PUBLISH_INTERVAL_MS)
                .hasMessageContaining("soon");
        Map<String, String> ok = base();
        ok.put(InflightConfig.CHECKPOINT_INTERVAL_MS, "0");
        ok.put(InflightConfig.PUBLISH_INTERVAL_MS, "250");
        assertThat(InflightConfig.parse(ok).cadenceSettings()).isEqualTo(new CadenceSettings(0,
                CadenceSettings.DEFAULT_CHECKPOINT_MAX_BYTES, 250));
    }

    @Test
    void shouldApplyInflightKeys() {
        Map<String, String> m = base();
        m.put(InflightConfig.TOPIC_PREFIX, "shop");
        m.put(InflightConfig.MODEL_DIM, "16");
        m.put(InflightConfig.MODEL_TYPE, "lr");
        InflightConfig c = InflightConfig.parse(m);
        assertThat(c.topics().deadLetter()).isEqualTo("shop.dead-letter");
        assertThat(c.trainerSettings().dim()).isEqualTo(16);
        assertThat(c.trainerSettings().modelType()).isEqualTo("lr");
    }

    @Test
    void shouldRejectUnknownInflightKeyNamingKeyAndValue() {
        Map<String, String> m = base();
        m.put("inflight.model.dimension", "16");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.model.dimension").hasMessageContaining("'16'");
    }

    @Test
    void shouldRejectKeyOutsideTheThreeNamespaces() {
        Map<String, String> m = base();
        m.put("bootstrap.servers", "x:1");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'bootstrap.servers'").hasMessageContaining("kafka.");
    }

    @Test
    void shouldRejectInvalidValuesNamingKeyAndValue() {
        assertInvalid(InflightConfig.MODEL_DIM, "0");
        assertInvalid(InflightConfig.MODEL_DIM, "sixteen");
        assertInvalid(InflightConfig.MODEL_TYPE, "xgboost");
        assertInvalid(InflightConfig.LEARNING_RATE, "-1");
        assertInvalid(InflightConfig.TOPIC_PARTITIONS, "0");
        assertInvalid(InflightConfig.TOPIC_PREFIX, "no spaces");
        assertInvalid(InflightConfig.PREDICTIONS_ENABLED, "maybe");
    }

    @Test
    void shouldRequireBootstrapServers() {
        assertThatThrownBy(() -> InflightConfig.parse(Map.of(InflightConfig.MODEL_DIM, "8")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.bootstrap.servers");
        assertThatThrownBy(() -> InflightConfig.parse(Map.of("kafka.bootstrap.servers", " ")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("kafka.bootstrap.servers");
    }

    private static void assertInvalid(String key, String value) {
        Map<String, String> m = base();
        m.put(key, value);
        assertThatThrownBy(() -> InflightConfig.parse(m)).as("%s=%s", key, value).isInstanceOf(ConfigException.class)
                .hasMessageContaining(key).hasMessageContaining(value);
    }

    @Test
    void shouldCarryDropoutToDeepModelsOnly() {
        Map<String, String> m = base();
        m.put("inflight.model.type", "dnn");
        m.put("inflight.model.fields", "a,b");
        assertThat(InflightConfig.parse(m).batchSettings().dropout()).isZero();
        m.put("inflight.model.dropout", "0.2");
        assertThat(InflightConfig.parse(m).batchSettings().dropout()).isEqualTo(0.2);
        m.put("inflight.model.dropout", "1.0");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.model.dropout").hasMessageContaining("1.0");
        m.put("inflight.model.dropout", "0.2");
        m.put("inflight.model.type", "fm");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.model.dropout").hasMessageContaining("0.2")
                .hasMessageContaining("no hidden layers");
    }

    @Test
    void shouldValidatePolicyAndStoreKeysNamingKeyAndValue() {
        Map<String, String> m = base();
        m.put("inflight.model.fields", "a,b");
        m.put("inflight.model.dim", "8");
        assertThat(InflightConfig.parse(m).policySettings().mode().configName()).isEqualTo("none");

        m.put("inflight.policy.gamma", "1.5");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.policy.gamma").hasMessageContaining("1.5");
        m.remove("inflight.policy.gamma");

        m.put("inflight.policy.mode", "esapn-ish");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.policy.mode").hasMessageContaining("esapn-ish");
        for (String mode : List.of("esapn", "fiited-2d", "all", "adaembed")) { // every mode runs in the trainer
            m.put("inflight.policy.mode", mode);
            assertThat(InflightConfig.parse(m).policySettings().mode().configName()).isEqualTo(mode);
        }

        m.put("inflight.policy.mode", "fiited-adaptive");
        m.put("inflight.store.chunks", "4,4");
        m.put("inflight.store.precision", "int8");
        InflightConfig c = InflightConfig.parse(m);
        var store = c.storeConfig(c.batchSettings());
        assertThat(store.layout().widths()).containsExactly(4, 4);
        assertThat(store.defaultPrecision().name()).isEqualTo("INT8");
        assertThat(store.utility().gamma()).isEqualTo(c.policySettings().gamma());

        m.put("inflight.store.chunks", "4,2");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.store.chunks").hasMessageContaining("sum to 6");

        m.remove("inflight.model.fields");
        m.put("inflight.store.chunks", "4,4");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("inflight.model.fields");
    }

    @Test
    void shouldParseNumericFieldsIntoTheBatchSettingsAndTheModelSpec() {
        Map<String, String> m = base();
        m.put(InflightConfig.MODEL_TYPE, "deepfm");
        m.put(InflightConfig.MODEL_FIELDS, "site,app");
        assertThat(InflightConfig.parse(m).batchSettings().numericFields()).isEmpty();
        m.put(InflightConfig.MODEL_NUMERIC_FIELDS, "price, age:none,count:log");
        BatchSettings b = InflightConfig.parse(m).batchSettings();
        assertThat(b.numericFields()).containsExactly(new NumericField("price", NumericField.Transform.LOG),
                new NumericField("age", NumericField.Transform.NONE), new NumericField("count", NumericField.Transform.LOG));
        assertThat(DeepModelSpec.from(b).numericFields()).isEqualTo(3);
    }

    @Test
    void shouldRejectBadNumericFieldsNamingKeyAndValue() {
        Map<String, String> m = base();
        m.put(InflightConfig.MODEL_TYPE, "dnn");
        m.put(InflightConfig.MODEL_FIELDS, "site,price");
        m.put(InflightConfig.MODEL_NUMERIC_FIELDS, "age:sqrt");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(InflightConfig.MODEL_NUMERIC_FIELDS).hasMessageContaining("age:sqrt")
                .hasMessageContaining("unknown transform 'sqrt'");
        m.put(InflightConfig.MODEL_NUMERIC_FIELDS, "age,age:none");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(InflightConfig.MODEL_NUMERIC_FIELDS).hasMessageContaining("age,age:none")
                .hasMessageContaining("twice");
        m.put(InflightConfig.MODEL_NUMERIC_FIELDS, "age,price:none");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(InflightConfig.MODEL_NUMERIC_FIELDS).hasMessageContaining("age,price:none")
                .hasMessageContaining("'price' is also a categorical field in " + InflightConfig.MODEL_FIELDS);
        for (String type : new String[] {"lr", "fm"}) {
            m.put(InflightConfig.MODEL_TYPE, type);
            m.put(InflightConfig.MODEL_NUMERIC_FIELDS, "age");
            assertThatThrownBy(() -> InflightConfig.parse(m)).as(type).isInstanceOf(ConfigException.class)
                    .hasMessageContaining(InflightConfig.MODEL_NUMERIC_FIELDS).hasMessageContaining("age")
                    .hasMessageContaining("no dense layers").hasMessageContaining("bucketise")
                    .hasMessageContaining("replay --map numeric=");
            m.remove(InflightConfig.MODEL_FIELDS); // refused for the type, with or without fields
            assertThatThrownBy(() -> InflightConfig.parse(m)).as(type).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("no dense layers");
            m.put(InflightConfig.MODEL_FIELDS, "site");
        }
    }

    @Test
    void shouldRejectBadStreamsAndKafkaClientValuesAtParse() {
        Map<String, String> m = base();
        m.put("streams.num.stream.threads", "many");
        assertThatThrownBy(() -> InflightConfig.parse(m)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("num.stream.threads").hasMessageContaining("many");
        Map<String, String> n = base();
        n.put("kafka.security.protocol", "CARRIER_PIGEON");
        assertThatThrownBy(() -> InflightConfig.parse(n)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("security.protocol").hasMessageContaining("CARRIER_PIGEON");
    }
}
