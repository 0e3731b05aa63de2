package io.inflight.trainer.topology;

import static io.inflight.trainer.topology.TopologyFixtures.batch;
import static io.inflight.trainer.topology.TopologyFixtures.clicks;
import static io.inflight.trainer.topology.TopologyFixtures.driver;
import static io.inflight.trainer.topology.TopologyFixtures.rows;
import static io.inflight.trainer.topology.TopologyFixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicySettings;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.topics.RejectReason;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * No single record stops the mini-batch trainer: a record whose processing throws at any stage is
 * dead-lettered with reason {@code internal-error} and the exception's class, the records after it
 * are trained, and the model does not learn from it; journal and checkpoint records fit the
 * producer's {@code max.request.size} whatever the events are.
 */
class PoisonRecordsTest extends TopologyDriverTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("p", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final TrainerSettings SETTINGS = TrainerSettings.defaults();
    private static final String POISON = "poison";

    private TestInputTopic<byte[], byte[]> start(BatchSettings b, CadenceSettings cadence, Faults faults,
                                                 Map<String, Object> extra) {
        driver = driver(TrainerTopology.build(TOPICS, SETTINGS, b, BatchTrainer.fullPrecision(b, 1 << 16),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), cadence,
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()), faults), "poison-test", stateDir.resolve("s" + System.nanoTime()), extra);
        return clicks(driver, TOPICS);
    }

    /** An event with a feature no other event has, so that any learning from it shows as a row. */
    private static ClickEvent poison() {
        return new ClickEvent(POISON, 1_700_000_000_000L, 1,
                List.of(ClickEvent.Field.of("ad", "poison-ad"), ClickEvent.Field.of("user", "poison-user")), List.of());
    }

    /** Throws at {@code stage} for the poison event (its bytes at DECODE). */
    private static Faults throwingAt(Faults.Stage stage) {
        byte[] poisonBytes = CODEC.encode(poison());
        return (at, subject) -> {
            if (at != stage) {
                return;
            }
            boolean hit = subject instanceof byte[] b ? Arrays.equals(b, poisonBytes)
                    : subject instanceof ClickEvent e && POISON.equals(e.id());
            if (hit) {
                throw new IllegalStateException("injected at " + stage);
            }
        };
    }

    private long batches() {
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        return ByteBuffer.wrap(state.get(BatchTrainerProcessor.BATCHES)).getLong();
    }

    private static String header(Headers h, String key) {
        return h.lastHeader(key) == null ? null : new String(h.lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(value = Faults.Stage.class, names = {"DECODE", "VALIDATE", "TRAIN"})
    void shouldDeadLetterARecordThatThrowsAndTrainTheOthers(Faults.Stage stage) {
        List<ClickEvent> good = TopologyFixtures.stream(40, 5);
        TestInputTopic<byte[], byte[]> in = start(batch(4, 0), CadenceSettings.everyCommit(), throwingAt(stage), Map.of());
        TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(TOPICS.deadLetter(), Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        byte[] poisonBytes = CODEC.encode(poison());
        for (int i = 0; i < good.size(); i++) {
            if (i == 10) {
                in.pipeInput("bad".getBytes(StandardCharsets.UTF_8), poisonBytes);
            }
            in.pipeInput(CODEC.encode(good.get(i)));
        }
        driver.advanceWallClockTime(Duration.ofMillis(60)); // forwards what the trainer thread emitted

        List<TestRecord<byte[], byte[]>> letters = dead.readRecordsToList();
        assertThat(letters).hasSize(1);
        TestRecord<byte[], byte[]> letter = letters.get(0);
        assertThat(letter.value()).isEqualTo(poisonBytes);
        assertThat(letter.key()).isEqualTo("bad".getBytes(StandardCharsets.UTF_8));
        assertThat(header(letter.headers(), DeadLetters.HEADER_REASON)).isEqualTo(RejectReason.INTERNAL_ERROR.code());
        assertThat(header(letter.headers(), DeadLetters.HEADER_DETAIL))
                .contains("java.lang.IllegalStateException").contains("injected at " + stage);
        assertThat(header(letter.headers(), DeadLetters.HEADER_SOURCE_OFFSET)).isEqualTo("10");

        ProgressiveMetrics.Summary s = summary(driver, SETTINGS.aucBins());
        assertThat(s.rejected()).isEqualTo(1);
        // at TRAIN the poison was accepted and took a place in a batch: the 41st record waits pending
        assertThat(s.events()).as("every good event of a whole batch trained").isEqualTo(stage == Faults.Stage.TRAIN ? 39 : 40);
        Map<Long, float[]> rows = rows(driver);
        assertThat(rows).as("nothing learned from the poison event")
                .doesNotContainKeys(FeatureKeys.key("ad", "poison-ad"), FeatureKeys.key("user", "poison-user"));
        if (stage == Faults.Stage.TRAIN) {
            // the poison's batch (records 8..11) was trained one event at a time: 9 whole batches + 3 single steps
            assertThat(batches()).isEqualTo(9 + 3);
        } else {
            assertThat(batches()).isEqualTo(10);
            // never accepted: the same model as on the stream without it
            Map<Long, float[]> poisoned = rows;
            driver.close();
            driver = null;
            TestInputTopic<byte[], byte[]> clean = start(batch(4, 0), CadenceSettings.everyCommit(), Faults.NONE, Map.of());
            good.forEach(e -> clean.pipeInput(CODEC.encode(e)));
            Map<Long, float[]> expected = rows(driver);
            assertThat(poisoned.keySet()).isEqualTo(expected.keySet());
            poisoned.forEach((k, v) -> assertThat(v).containsExactly(expected.get(k)));
        }
    }

    @Test
    void shouldKeepTheRowsOfAFailedPublicationForTheNextOne() {
        Faults failFirst = (stage, subject) -> {
            if (stage == Faults.Stage.PUBLISH && Long.valueOf(2).equals(subject)) {
                throw new IllegalStateException("injected publication failure");
            }
        };
        TestInputTopic<byte[], byte[]> in = start(batch(4, 2), CadenceSettings.everyCommit(), failFirst, Map.of());
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        List<ClickEvent> events = TopologyFixtures.stream(16, 9); // 4 batches: publications at 2 (fails) and 4
        events.forEach(e -> in.pipeInput(CODEC.encode(e)));
        driver.advanceWallClockTime(Duration.ofMillis(60));
        Map<Long, float[]> published = new HashMap<>();
        long denseVersion = -1;
        for (var kv : updates.readKeyValuesToList()) {
            ModelUpdateCodec.Key key = ModelUpdateCodec.parseKey(kv.key);
            if (key.row()) {
                ModelUpdateCodec.Row r = ModelUpdateCodec.decodeRow(kv.value);
                float[] v = Arrays.copyOf(r.embedding(), 5);
                v[4] = r.linear();
                published.put(key.id(), v);
            } else if (key.kind() == ModelUpdateCodec.Kind.DENSE) {
                denseVersion = Math.max(denseVersion, ByteBuffer.wrap(kv.value).getInt(2)); // version, kind, model version
            }
        }
        assertThat(denseVersion).as("only the publication at batch 4 went out").isEqualTo(4);
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(16);
        Map<Long, float[]> rows = rows(driver);
        assertThat(published.keySet()).as("rows changed before the failed publication went out with the next")
                .isEqualTo(rows.keySet());
        rows.forEach((k, v) -> assertThat(published.get(k)).containsExactly(v));
    }

    @Test
    void shouldWriteJournalAndCheckpointRecordsThatFitTheProducerLimit() {
        int maxRequest = 120_000;
        // events of 60 values x 1,000 bytes (~60 kB each, within the default limits), a checkpoint only at the end
        SplittableRandom r = new SplittableRandom(3);
        List<ClickEvent> big = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            List<String> values = new ArrayList<>();
            for (int v = 0; v < 60; v++) {
                values.add(Integer.toString(r.nextInt(1000)) + "x".repeat(996));
            }
            big.add(new ClickEvent("big" + i, 1_700_000_000_000L + i, i % 2,
                    List.of(new ClickEvent.Field("ad", values), ClickEvent.Field.of("user", "u" + i)), List.of()));
        }
        TestInputTopic<byte[], byte[]> in = start(batch(4, 0), CadenceSettings.checkpoints(3_600_000, 1L << 40),
                Faults.NONE, Map.of("producer.max.request.size", maxRequest));
        big.forEach(e -> in.pipeInput(CODEC.encode(e)));
        KeyValueStore<Long, byte[]> journal = driver.getKeyValueStore(TrainerStateStore.JOURNAL);
        int records = 0;
        long bytes = 0;
        try (var it = journal.all()) {
            while (it.hasNext()) {
                byte[] v = it.next().value;
                assertThat(v.length).as("a journal record").isLessThanOrEqualTo(maxRequest / 2);
                records++;
                bytes += v.length;
            }
        }
        assertThat(bytes).as("the journal holds all 11 events").isGreaterThan(11L * 60_000);
        assertThat(records).isGreaterThan(11);
        driver.close();
        driver = null;
        // a checkpoint at every commit with three big events pending: the pending batch is stored in parts
        TestInputTopic<byte[], byte[]> again = start(batch(4, 0), CadenceSettings.everyCommit(), Faults.NONE,
                Map.of("producer.max.request.size", maxRequest));
        big.subList(0, 7).forEach(e -> again.pipeInput(CODEC.encode(e)));
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        try (var it = state.all()) {
            it.forEachRemaining(kv -> assertThat(kv.value.length).as(kv.key).isLessThanOrEqualTo(maxRequest / 2));
        }
        assertThat(state.get(BatchTrainerProcessor.PENDING_STREAM + "1")).as("the pending events span parts").isNotNull();
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(4);
    }
}
