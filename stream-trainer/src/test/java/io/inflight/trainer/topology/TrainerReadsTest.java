package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicySettings;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;

/**
 * Reads of the metrics and of the pending count are served while the trainer thread trains (the
 * progress lines poll them every 200 ms); calls that may read the model wait until it is idle.
 */
class TrainerReadsTest extends TopologyDriverTest {

    private static final String APP = "reads-test";
    private static final TopicCatalogue TOPICS = new TopicCatalogue("r", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final BatchSettings BATCH = new BatchSettings("fm", List.of("ad", "user"), 4, 4, List.of(8), "relu",
            "adam", 1e-3, 0.1, 0, 0.01, 7, 0);

    /** Runs {@code ask} while advancing the wall clock, so that the task's punctuation serves it. */
    private <T> T served(Supplier<Optional<T>> ask) {
        var answer = CompletableFuture.supplyAsync(ask);
        while (!answer.isDone()) {
            driver.advanceWallClockTime(Duration.ofMillis(60));
            Thread.onSpinWait();
        }
        return answer.join().orElseThrow();
    }

    @Test
    void shouldServeMetricsWhileTheTrainerThreadTrainsAndModelCallsOnceItIsIdle() throws Exception {
        CountDownLatch training = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Faults holdFirstBatch = (stage, subject) -> {
            if (stage == Faults.Stage.TRAIN && release.getCount() > 0) {
                training.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        driver = TopologyFixtures.driver(TrainerTopology.build(TOPICS, TrainerSettings.defaults(), BATCH,
                BatchTrainer.fullPrecision(BATCH, 1 << 16), PolicySettings.defaults().with(PolicySettings.MODE, "none"),
                CadenceSettings.checkpoints(3_600_000, 1L << 40),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()), holdFirstBatch), APP, stateDir.resolve("s"), Map.of());
        TestInputTopic<byte[], byte[]> in = TopologyFixtures.clicks(driver, TOPICS);
        TopologyFixtures.stream(6, 3).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(training.await(30, TimeUnit.SECONDS)).as("the first batch reached the trainer thread").isTrue();
        // a safety net: were the read to wait for the trainer thread, it would be answered only after this
        Thread releaser = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                return;
            }
            release.countDown();
        });
        releaser.start();
        try {
            ProgressiveMetrics m = served(() -> TrainerTasks.metrics(APP, false, 1, Duration.ofSeconds(30)));
            long pending = served(() -> TrainerTasks.pending(APP, Duration.ofSeconds(30)));
            assertThat(release.getCount()).as("answered while the trainer thread still held the batch").isEqualTo(1);
            assertThat(m.summary().events()).as("as of the last batch trained: none yet").isZero();
            assertThat(pending).as("the two events after the batch").isEqualTo(2);
        } finally {
            releaser.interrupt();
            release.countDown();
        }
        long scored = served(() -> TrainerTasks.call(APP, v -> v.metrics(false).summary().events(), Duration.ofSeconds(30)))
                .get(0);
        assertThat(scored).as("a call waits for the batch in flight").isEqualTo(4);
        assertThat(served(() -> TrainerTasks.metrics(APP, false, 1, Duration.ofSeconds(30))).summary().events()).isEqualTo(4);
    }
}
