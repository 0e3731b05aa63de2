package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.TopicCatalogue;
import io.inflight.topics.json.JsonEventCodec;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerProcessorTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("t", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private TestInputTopic<byte[], byte[]> start(TrainerSettings settings) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(TrainerTopology.build(TOPICS, settings), p);
        return driver.createInputTopic(TOPICS.clicks(), Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    }

    /** Two fields; the click rate depends strongly on the value of "ad". */
    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(20);
            int user = r.nextInt(50);
            double p = ad < 10 ? 0.8 : 0.1;
            int label = r.nextDouble() < p ? 1 : 0;
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, label,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + user)), List.of()));
        }
        return out;
    }

    private ProgressiveMetrics.Summary summary(TrainerSettings s) {
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        return TrainerStateStore.loadMetrics(state, s.aucBins()).summary();
    }

    private Map<Long, byte[]> rows() {
        KeyValueStore<Long, byte[]> rows = driver.getKeyValueStore(TrainerStateStore.ROWS);
        Map<Long, byte[]> copy = new HashMap<>();
        try (KeyValueIterator<Long, byte[]> it = rows.all()) {
            it.forEachRemaining(kv -> copy.put(kv.key, kv.value));
        }
        return copy;
    }

    @Test
    void shouldTrainTheSameModelFromJsonRecordsAsFromBinaryOnes() {
        TrainerSettings binary = TrainerSettings.defaults();
        TestInputTopic<byte[], byte[]> in = start(binary);
        List<ClickEvent> events = stream(500, 3);
        for (ClickEvent e : events) {
            in.pipeInput(CODEC.encode(e));
        }
        Map<Long, byte[]> fromBinary = rows();
        driver.close();
        driver = null;

        TrainerSettings s = TrainerSettings.defaults();
        TrainerSettings json = new TrainerSettings(s.modelType(), s.dim(), s.learningRate(), s.l2(), s.initStddev(),
                s.seed(), s.aucBins(), s.predictions(), s.limits(), s.windowEvents(), "json");
        JsonEventCodec jsonCodec = new JsonEventCodec(EventLimits.DEFAULTS);
        in = start(json);
        for (ClickEvent e : events) {
            in.pipeInput(jsonCodec.encode(e));
        }
        in.pipeInput(CODEC.encode(events.get(0))); // binary bytes on a JSON topic are malformed
        Map<Long, byte[]> fromJson = rows();
        assertThat(fromJson).hasSameSizeAs(fromBinary);
        fromBinary.forEach((k, v) -> assertThat(fromJson.get(k)).as("row %s", k).isEqualTo(v));
        assertThat(summary(json).rejected()).isEqualTo(1);
    }

    @Test
    void shouldLearnFromTheStreamAndRecordProgressiveMetrics() {
        TrainerSettings s = TrainerSettings.defaults();
        TestInputTopic<byte[], byte[]> in = start(s);
        for (ClickEvent e : stream(3000, 1)) {
            in.pipeInput(CODEC.encode(e));
        }
        ProgressiveMetrics.Summary m = summary(s);
        assertThat(m.events()).isEqualTo(3000);
        assertThat(m.rejected()).isZero();
        assertThat(m.auc()).isGreaterThan(0.75); // the label depends on "ad" only; a fixed model would give 0.5
        assertThat(rows()).hasSize(20 + 50).containsKey(FeatureKeys.key("ad", "a3"));
        assertThat(driver.getKeyValueStore(TrainerStateStore.STATE).get(TrainerStateStore.DENSE_KEY)).isNotNull();
    }

    @Test
    void shouldScoreEachEventBeforeLearningFromIt() {
        TrainerSettings lr = new TrainerSettings("lr", 8, 0.1, 0, 0.01, 1, 1024, true, EventLimits.DEFAULTS, 1000, "binary");
        TestInputTopic<byte[], byte[]> in = start(lr);
        TestOutputTopic<byte[], byte[]> predictions = driver.createOutputTopic(TOPICS.predictions(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        ClickEvent e = stream(1, 2).get(0);
        in.pipeInput(CODEC.encode(e));
        in.pipeInput(CODEC.encode(e));
        List<String> p = predictions.readValuesToList().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
        assertThat(p).hasSize(2);
        // A fresh logistic regression has all-zero weights: the first score is exactly 0.5, made
        // before the update; the second sees the update and moves toward the label.
        assertThat(p.get(0)).contains("\"p\":0.5}").contains("\"id\":\"e0\"");
        double second = Double.parseDouble(p.get(1).replaceAll(".*\"p\":([0-9.E-]+)}", "$1"));
        assertThat(second).isNotCloseTo(0.5, within(1e-3));
        assertThat(second > 0.5).isEqualTo(e.label() == 1);
    }

    @Test
    void shouldDeadLetterMalformedInputWithReasonAndLeaveTheModelUnchanged() {
        TrainerSettings s = TrainerSettings.defaults();
        TestInputTopic<byte[], byte[]> in = start(s);
        TestOutputTopic<byte[], byte[]> dlq = driver.createOutputTopic(TOPICS.deadLetter(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        for (ClickEvent e : stream(200, 3)) {
            in.pipeInput(CODEC.encode(e));
        }
        Map<Long, byte[]> before = rows();
        byte[] dense = driver.getKeyValueStore(TrainerStateStore.STATE).get(TrainerStateStore.DENSE_KEY) instanceof byte[] b
                ? b.clone() : null;
        byte[] wrongVersion = CODEC.encode(stream(1, 4).get(0));
        wrongVersion[0] = 7;
        ClickEvent badLabel = new ClickEvent(null, 1_700_000_000_000L, 7, List.of(ClickEvent.Field.of("ad", "a1")), List.of());
        List<KeyValue<String, byte[]>> bad = List.of(
                KeyValue.pair("empty", new byte[0]),
                KeyValue.pair("unknown-version", wrongVersion),
                KeyValue.pair("truncated", new byte[] {1, 0}),
                KeyValue.pair("bad-label", CODEC.encode(badLabel)),
                KeyValue.pair("bad-utf8", new byte[] {1, 0, 0, 0, 1, 1, (byte) 0xFF, 1, 0, 0}));
        for (KeyValue<String, byte[]> kv : bad) {
            in.pipeInput(kv.key.getBytes(StandardCharsets.UTF_8), kv.value);
        }
        List<TestRecord<byte[], byte[]>> out = dlq.readRecordsToList();
        assertThat(out).hasSize(bad.size());
        for (int i = 0; i < bad.size(); i++) {
            TestRecord<byte[], byte[]> r = out.get(i);
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(bad.get(i).key);
            assertThat(r.value()).isEqualTo(bad.get(i).value);
            assertThat(header(r, TrainerProcessor.HEADER_REASON)).isEqualTo(bad.get(i).key);
            assertThat(header(r, TrainerProcessor.HEADER_SOURCE_TOPIC)).isEqualTo(TOPICS.clicks());
            assertThat(header(r, TrainerProcessor.HEADER_SOURCE_OFFSET)).isEqualTo(Integer.toString(200 + i));
        }
        Map<Long, byte[]> after = rows();
        assertThat(after.keySet()).isEqualTo(before.keySet());
        after.forEach((k, v) -> assertThat(v).isEqualTo(before.get(k)));
        assertThat(driver.getKeyValueStore(TrainerStateStore.STATE).get(TrainerStateStore.DENSE_KEY)).isEqualTo(dense);
        assertThat(summary(s).rejected()).isEqualTo(bad.size());
        assertThat(summary(s).events()).isEqualTo(200);
    }

    @Test
    void shouldTrackRecentEventsInTheSlidingWindow() {
        TrainerSettings s = new TrainerSettings("fm", 8, 0.05, 0, 0.01, 1, 1024, false, EventLimits.DEFAULTS, 500, "binary");
        TestInputTopic<byte[], byte[]> in = start(s);
        stream(3000, 6).forEach(e -> in.pipeInput(CODEC.encode(e)));
        // Then labels stop depending on the features: the window forgets, the whole stream does not.
        SplittableRandom r = new SplittableRandom(7);
        for (ClickEvent e : stream(1000, 8)) {
            in.pipeInput(CODEC.encode(new ClickEvent(e.id(), e.eventTimeMs(), r.nextInt(2), e.fields(), e.numerics())));
        }
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        ProgressiveMetrics.Summary window = TrainerStateStore.loadWindow(state, s.aucBins(), 10).summary();
        ProgressiveMetrics.Summary all = summary(s);
        assertThat(all.events()).isEqualTo(4000);
        assertThat(window.events()).isBetween(450L, 500L);
        assertThat(all.auc()).isGreaterThan(0.7);
        assertThat(window.auc()).isBetween(0.4, 0.6);
    }

    @Test
    void shouldProduceBitIdenticalModelsForTheSameInput() {
        TrainerSettings s = TrainerSettings.defaults();
        List<ClickEvent> events = stream(500, 5);
        TestInputTopic<byte[], byte[]> in = start(s);
        events.forEach(e -> in.pipeInput(CODEC.encode(e)));
        Map<Long, byte[]> first = rows();
        driver.close();
        driver = null;
        TestInputTopic<byte[], byte[]> in2 = start(s);
        // A second driver on a fresh state directory: TopologyTestDriver keeps no state across instances.
        events.forEach(e -> in2.pipeInput(CODEC.encode(e)));
        Map<Long, byte[]> second = rows();
        assertThat(second.keySet()).isEqualTo(first.keySet());
        second.forEach((k, v) -> assertThat(v).isEqualTo(first.get(k)));
    }

    private static String header(TestRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
