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
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code inflight.topology.models=one}: with several clicks partitions the topology is an intake
 * sub-topology and a trainer sub-topology joined by a one-partition repartition topic; a malformed
 * record is dead-lettered by the intake with its reason and never trained; the trainer trains the
 * events it is given as the direct topology does; with one partition it is the direct topology.
 */
class OneModelTopologyTest extends TopologyDriverTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("om", 4, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final byte[] MALFORMED = "not an event".getBytes(StandardCharsets.UTF_8);

    private static Topology topology(BatchSettings b, boolean oneModel, int partitions) {
        return TrainerTopology.build(TOPICS, TrainerSettings.defaults(), b, BatchTrainer.fullPrecision(b, 1 << 16),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), CadenceSettings.everyCommit(),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()), Faults.NONE, oneModel, partitions);
    }

    private static Set<String> nodes(TopologyDescription.Subtopology s) {
        return s.nodes().stream().map(TopologyDescription.Node::name).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void shouldSplitIntoAnIntakeAndOneTrainerSubTopologyWithSeveralPartitions() {
        TopologyDescription d = topology(batch(4, 0), true, 4).describe();
        List<TopologyDescription.Subtopology> subs = new ArrayList<>(d.subtopologies());
        subs.sort((a, b) -> Integer.compare(a.id(), b.id()));
        assertThat(subs).hasSize(2);
        assertThat(nodes(subs.get(0))).containsExactlyInAnyOrder(TrainerTopology.SOURCE, TrainerTopology.INTAKE,
                TrainerTopology.INTAKE_DEAD_LETTER_SINK, TrainerTopology.EVENTS_SINK);
        assertThat(nodes(subs.get(1))).containsExactlyInAnyOrder(TrainerTopology.EVENTS_SOURCE, TrainerTopology.TRAINER,
                TrainerTopology.DEAD_LETTER_SINK, TrainerTopology.PREDICTIONS_SINK, TrainerTopology.MODEL_UPDATES_SINK);
        TopologyDescription.Source clicks = (TopologyDescription.Source) subs.get(0).nodes().stream()
                .filter(n -> n.name().equals(TrainerTopology.SOURCE)).findFirst().orElseThrow();
        assertThat(clicks.topicSet()).containsExactly(TOPICS.clicks());
        // the intake is stateless: every store belongs to the trainer
        subs.get(0).nodes().stream().filter(n -> n instanceof TopologyDescription.Processor)
                .forEach(n -> assertThat(((TopologyDescription.Processor) n).stores()).isEmpty());
    }

    @Test
    void shouldBuildTheDirectTopologyWithOnePartitionOrPerPartitionModels() {
        String direct = topology(batch(4, 0), false, 4).describe().toString();
        assertThat(topology(batch(4, 0), true, 1).describe().toString()).isEqualTo(direct);
        assertThat(direct).doesNotContain(TrainerTopology.EVENTS_TOPIC);
        assertThat(topology(batch(4, 0), false, 1).describe().toString()).isEqualTo(direct);
    }

    @Test
    void shouldDeadLetterAMalformedRecordInTheIntakeAndTrainTheRestAsTheDirectTopologyDoes() {
        List<ClickEvent> good = TopologyFixtures.stream(40, 9);
        Run one = run(topology(batch(4, 0), true, 4), good, "one");
        driver.close();
        driver = null;
        Run direct = run(topology(batch(4, 0), false, 4), good, "direct");

        assertThat(one.letters).hasSize(1);
        TestRecord<byte[], byte[]> letter = one.letters.get(0);
        assertThat(letter.value()).isEqualTo(MALFORMED);
        assertThat(letter.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
        // the reason and the source coordinates the trainer gives in the direct topology
        for (String h : List.of(DeadLetters.HEADER_REASON, DeadLetters.HEADER_DETAIL, DeadLetters.HEADER_SOURCE_TOPIC,
                DeadLetters.HEADER_SOURCE_OFFSET)) {
            assertThat(header(letter, h)).as(h).isNotNull().isEqualTo(header(direct.letters.get(0), h));
        }
        assertThat(header(letter, DeadLetters.HEADER_SOURCE_TOPIC)).isEqualTo(TOPICS.clicks());
        // the trainer counted it (a rejected mark) and trained every good event, nothing of the malformed one
        assertThat(one.summary.events()).isEqualTo(40);
        assertThat(one.summary.rejected()).isEqualTo(1);
        assertThat(one.summary).isEqualTo(direct.summary);
        assertThat(one.rows).isNotEmpty();
        assertThat(one.rows.keySet()).isEqualTo(direct.rows.keySet());
        one.rows.forEach((k, v) -> assertThat(v).as("row %d", k).containsExactly(direct.rows.get(k)));
    }

    @Test
    void shouldTakeOnlyAnEmptyRecordWithTheHeaderForARejectedMark() {
        Record<byte[], byte[]> event = new Record<>(null, CODEC.encode(TopologyFixtures.stream(1, 1).get(0)), 5L);
        Record<byte[], byte[]> mark = Intake.rejectedMark(event);
        assertThat(Intake.isRejectedMark(mark)).isTrue();
        assertThat(mark.value()).isEmpty();
        assertThat(Intake.isRejectedMark(event)).isFalse();
        // a producer's record carrying the header is still an event to decode, not a mark
        assertThat(Intake.isRejectedMark(event.withHeaders(mark.headers()))).isFalse();
    }

    private record Run(List<TestRecord<byte[], byte[]>> letters, ProgressiveMetrics.Summary summary,
                       Map<Long, float[]> rows) {
    }

    private Run run(Topology t, List<ClickEvent> good, String name) {
        driver = driver(t, "om-" + name, stateDir.resolve(name), Map.of());
        TestInputTopic<byte[], byte[]> in = clicks(driver, TOPICS);
        TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(TOPICS.deadLetter(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        for (int i = 0; i < good.size(); i++) {
            if (i == 10) {
                in.pipeInput("k".getBytes(StandardCharsets.UTF_8), MALFORMED);
            }
            in.pipeInput(CODEC.encode(good.get(i)));
        }
        driver.advanceWallClockTime(Duration.ofMillis(60)); // forwards what the trainer thread emitted
        return new Run(dead.readRecordsToList(), summary(driver, TrainerSettings.defaults().aucBins()), rows(driver));
    }

    private static String header(TestRecord<byte[], byte[]> r, String key) {
        var h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
