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
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A task that finishes: its last, partial batch is trained and scored, at a journaled point. */
class BatchFinishTest extends TopologyDriverTest {

    private static final String APP = "finish-test";
    private static final TopicCatalogue TOPICS = new TopicCatalogue("f", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final BatchSettings BATCH = new BatchSettings("fm", List.of("ad", "user"), 4, 4, List.of(8), "relu",
            "adam", 1e-3, 0.1, 0, 0.01, 7, 0);
    private static final PolicySettings POLICY = PolicySettings.defaults().with(PolicySettings.MODE, "none");
    private static final CadenceSettings JOURNAL_ONLY = CadenceSettings.checkpoints(3_600_000, 1L << 40);

    @AfterEach
    void stopTasks() {
        TrainerTasks.stopAt(APP, Map.of());
    }

    /** A trainer that journals every commit and checkpoints only when closed. */
    private TestInputTopic<byte[], byte[]> start() {
        return start(JOURNAL_ONLY);
    }

    /** A trainer that checkpoints as {@code cadence} says (the driver commits after every record). */
    private TestInputTopic<byte[], byte[]> start(CadenceSettings cadence) {
        driver = TopologyFixtures.driver(TrainerTopology.build(TOPICS, TrainerSettings.defaults(), BATCH,
                BatchTrainer.fullPrecision(BATCH, 1 << 16), POLICY, cadence, BatchFinishTest::model,
                TrainerMeters.on(new SimpleMeterRegistry())), APP, stateDir.resolve("s" + System.nanoTime()), Map.of());
        return TopologyFixtures.clicks(driver, TOPICS);
    }

    private static BatchModel model(BatchSettings s) {
        return new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true);
    }

    /** Runs {@code fn} on the task, advancing the wall clock so that its punctuation serves the call. */
    private <T> T onTask(Function<TrainerTasks.View, T> fn) {
        return onTask(() -> driver.advanceWallClockTime(Duration.ofMillis(60)), fn);
    }

    /** Runs {@code fn} on the task, calling {@code tick} until its punctuation served the call. */
    private static <T> T onTask(Runnable tick, Function<TrainerTasks.View, T> fn) {
        var answer = CompletableFuture.supplyAsync(() -> TrainerTasks.call(APP, fn, Duration.ofSeconds(30)));
        while (!answer.isDone()) {
            tick.run();
            Thread.onSpinWait();
        }
        return answer.join().orElseThrow().get(0);
    }

    private long scored() {
        return scored(() -> driver.advanceWallClockTime(Duration.ofMillis(60)));
    }

    /** The events the task scored, read as {@link #onTask(Runnable, Function)} does. */
    private static long scored(Runnable tick) {
        return onTask(tick, v -> v.metrics(false).summary().events());
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
        assertThat(marks.get(10)).as("the finish point, between the 10th and the 11th event").isEqualTo(Journal.FINISH_MARK);
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

    /**
     * A task initialized again in the same run after it finished (Streams re-creates a task after a
     * rebalance and revives one after a fenced producer, which load makes likelier) restores the
     * finish point: the events past the stop offset stay held, none is trained, it does not finish a
     * second time, and the model is the one it had. From the journal (no checkpoint since the start)
     * and from a checkpoint (one at every commit): a restore of either trained the held events as
     * whole batches, then finished again with the rest as one more partial batch.
     */
    @ParameterizedTest
    @ValueSource(longs = {3_600_000, 0})
    void shouldStillHoldWhatFollowsTheStopOffsetWhenTheTaskIsInitializedAgainAfterFinishing(long checkpointIntervalMs) {
        TrainerTasks.stopAt(APP, Map.of(0, 10L));
        TestInputTopic<byte[], byte[]> in = start(CadenceSettings.checkpoints(checkpointIntervalMs, 1L << 40));
        List<ClickEvent> events = TopologyFixtures.stream(18, 22);
        events.subList(0, 16).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(scored()).as("two batches of 4, then the partial one of 2 at the stop offset").isEqualTo(10);
        assertThat(onTask(TrainerTasks.View::pending)).as("6 held: more than a batch").isEqualTo(6);
        byte[] model = onTask(TrainerTasks.View::digest);

        // the task's stores as the driver committed them, a new processor on them, then the same one again
        EmbeddingStateStore embeddings = (EmbeddingStateStore) driver.getStateStore(TrainerStateStore.EMBEDDINGS);
        var processor = new BatchTrainerProcessor(TrainerSettings.defaults(), BATCH, POLICY,
                CadenceSettings.checkpoints(checkpointIntervalMs, 1L << 40), BatchFinishTest::model,
                TrainerMeters.on(new SimpleMeterRegistry()));
        for (int offset = 16; offset < 18; offset++) {
            embeddings.clearCache(); // what was not committed is gone: the store reloads from its cold tier
            MockProcessorContext<byte[], byte[]> context = reinitialized(processor);
            Runnable punctuate = () -> context.scheduledPunctuators().get(0).getPunctuator().punctuate(0);
            assertThat(scored(punctuate)).isEqualTo(10);
            context.setRecordMetadata(TOPICS.clicks(), 0, offset);
            processor.process(new Record<>(null, CODEC.encode(events.get(offset)), 0L));
            embeddings.flushCache(); // the commit after it
            assertThat(scored(punctuate)).as("nothing past the stop offset scored").isEqualTo(10);
            assertThat(onTask(punctuate, TrainerTasks.View::pending)).isEqualTo(offset - 9);
            assertThat(onTask(punctuate, TrainerTasks.View::digest)).as("the model of the finish").isEqualTo(model);
            processor.close(); // and initialized again, as a revived task
        }
    }

    /**
     * The next run, whose stop offset is the end the last run already read: no record comes, so the
     * finish alone trains what the last run held (6 events, more than a batch). From the journal and
     * from a checkpoint the same cut (a whole batch of 4, then the partial one of 2) and the same model;
     * before, a checkpoint-restored task handed the 6 over as one batch at the finish, which its
     * preparation refused, and trained them one at a time (BackfillIT's flake).
     */
    @Test
    void shouldTrainWhatTheLastRunHeldInWholeBatchesFromACheckpointAsFromTheJournal() {
        List<byte[]> models = new ArrayList<>();
        for (long checkpointIntervalMs : List.of(3_600_000L, 0L)) {
            TrainerTasks.stopAt(APP, Map.of(0, 10L));
            TestInputTopic<byte[], byte[]> in = start(CadenceSettings.checkpoints(checkpointIntervalMs, 1L << 40));
            TopologyFixtures.stream(16, 22).forEach(e -> in.pipeInput(CODEC.encode(e)));
            assertThat(scored()).isEqualTo(10);
            assertThat(onTask(TrainerTasks.View::pending)).isEqualTo(6);

            TrainerTasks.stopAt(APP, Map.of(0, 16L));
            EmbeddingStateStore embeddings = (EmbeddingStateStore) driver.getStateStore(TrainerStateStore.EMBEDDINGS);
            embeddings.clearCache();
            var processor = new BatchTrainerProcessor(TrainerSettings.defaults(), BATCH, POLICY,
                    CadenceSettings.checkpoints(checkpointIntervalMs, 1L << 40), BatchFinishTest::model,
                    TrainerMeters.on(new SimpleMeterRegistry()));
            MockProcessorContext<byte[], byte[]> context = reinitialized(processor);
            Runnable punctuate = () -> context.scheduledPunctuators().get(0).getPunctuator().punctuate(0);
            onTask(punctuate, v -> {
                v.finish();
                return 0;
            });
            assertThat(scored(punctuate)).as("every event scored once").isEqualTo(16);
            assertThat(onTask(punctuate, TrainerTasks.View::pending)).isZero();
            models.add(onTask(punctuate, TrainerTasks.View::digest));
            processor.close();
            if (models.size() == 1) {
                driver.close(); // the last one is closed after the test
            }
        }
        assertThat(models.get(1)).as("from a checkpoint = from the journal").isEqualTo(models.get(0));
    }

    /** {@code processor} initialized on the driver's stores, as the task of partition 0 of {@value #APP}. */
    private MockProcessorContext<byte[], byte[]> reinitialized(BatchTrainerProcessor processor) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        var context = new MockProcessorContext<byte[], byte[]>(config);
        context.setCurrentSystemTimeMs(1_700_000_000_000L); // the events' time: none is in the future
        context.addStateStore(driver.getStateStore(TrainerStateStore.EMBEDDINGS));
        context.addStateStore(driver.getKeyValueStore(TrainerStateStore.STATE));
        context.addStateStore(driver.getKeyValueStore(TrainerStateStore.JOURNAL));
        processor.init(context);
        return context;
    }
}
