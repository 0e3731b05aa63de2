package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicySettings;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A task that finishes: its last, partial batch is trained and scored, at a journaled point. */
class BatchFinishTest extends TopologyDriverTest {

    private static final String APP = "finish-test";
    private static final TopicCatalogue TOPICS = new TopicCatalogue("f", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final BatchSettings BATCH = new BatchSettings("fm", List.of("ad", "user"), 4, 4, List.of(8), "relu",
            "adam", 1e-3, 0.1, 0, 0.01, 7, 0);

    @AfterEach
    void stopTasks() {
        TrainerTasks.stopAt(APP, Map.of());
    }

    /** A trainer that journals every commit and checkpoints only when closed. */
    private TestInputTopic<byte[], byte[]> start() {
        driver = TopologyFixtures.driver(TrainerTopology.build(TOPICS, TrainerSettings.defaults(), BATCH,
                BatchTrainer.fullPrecision(BATCH, 1 << 16), PolicySettings.defaults().with(PolicySettings.MODE, "none"),
                CadenceSettings.checkpoints(3_600_000, 1L << 40),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry())), APP, stateDir.resolve("s" + System.nanoTime()), Map.of());
        return TopologyFixtures.clicks(driver, TOPICS);
    }

    /** Runs {@code fn} on the task, advancing the wall clock so that its punctuation serves the call. */
    private <T> T onTask(Function<TrainerTasks.View, T> fn) {
        var answer = CompletableFuture.supplyAsync(() -> TrainerTasks.call(APP, fn, Duration.ofSeconds(30)));
        while (!answer.isDone()) {
            driver.advanceWallClockTime(Duration.ofMillis(60));
            Thread.onSpinWait();
        }
        return answer.join().orElseThrow().get(0);
    }

    private long scored() {
        return onTask(v -> v.metrics(false).summary().events());
    }

    @Test
    void shouldTrainAndScoreThePartialBatchWhenTheTaskFinishesAndHoldWhatFollows() {
        TestInputTopic<byte[], byte[]> in = start();
        List<ClickEvent> events = TopologyFixtures.stream(13, 21);
        events.subList(0, 10).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(scored()).as("two whole batches of 4").isEqualTo(8);
        assertThat(onTask(TrainerTasks.View::pending)).isEqualTo(2);

        onTask(v -> {
            v.finish();
            return null;
        });
        assertThat(scored()).as("the last two events, as a batch of their own").isEqualTo(10);
        assertThat(onTask(TrainerTasks.View::pending)).isZero();
        assertThat(onTask(TrainerTasks.View::digest)).isNotNull();

        events.subList(10, 13).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(scored()).as("events after the end are held, not trained").isEqualTo(10);
        assertThat(onTask(TrainerTasks.View::pending)).isEqualTo(3);
        List<Integer> marks = TopologyFixtures.journalEntries(driver.getKeyValueStore(TrainerStateStore.JOURNAL));
        assertThat(marks).hasSize(14);
        assertThat(marks.get(10)).as("the flush point, between the 10th and the 11th event").isEqualTo(Journal.FLUSH_MARK);
    }

    @Test
    void shouldFinishAtTheStopOffsetAsAtACallAfterTheSameEvents() {
        List<ClickEvent> events = TopologyFixtures.stream(13, 21);
        TestInputTopic<byte[], byte[]> in = start();
        events.subList(0, 10).forEach(e -> in.pipeInput(CODEC.encode(e)));
        onTask(v -> {
            v.finish();
            return null;
        });
        byte[] byCall = onTask(TrainerTasks.View::digest);
        driver.close();
        driver = null;

        TrainerTasks.stopAt(APP, Map.of(0, 10L)); // offsets 0..9 are the first ten events
        TestInputTopic<byte[], byte[]> again = start();
        events.forEach(e -> again.pipeInput(CODEC.encode(e)));
        assertThat(scored()).as("every event before the stop offset, none after").isEqualTo(10);
        assertThat(onTask(TrainerTasks.View::pending)).isEqualTo(3);
        assertThat(onTask(TrainerTasks.View::digest)).as("the same batches, the same model").isEqualTo(byCall);
    }
}
