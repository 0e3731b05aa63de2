package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scale-out of the one-model topology: a second instance (same application id, its own state
 * directory) joins while the first trains a 4-partition clicks topic; the tasks are shared between
 * them, training goes on, and every event is scored exactly once by the one model (one committed
 * prediction per event id, none twice, every malformed record dead-lettered once).
 */
@Timeout(600)
class ScaleOutIT {

    private static final int HALF = OneModelIT.EVENTS / 2;
    private static final int MALFORMED_HALF = OneModelIT.MALFORMED / 2;

    @Test
    void shouldShareTheTasksWithAJoiningInstanceAndScoreEveryEventOnce() throws Exception {
        ItFixtures.onBroker("scaleout", (dir, broker) -> {
            OneModelStreams.produce(broker, "so", 4, HALF, MALFORMED_HALF);
            Map<String, String> a = OneModelIT.settings(broker, "so", "so-trainer", dir.resolve("a"), InflightConfig.MODELS_ONE);
            a.put("streams.num.standby.replicas", "1");
            Map<String, String> b = new HashMap<>(a);
            b.put(InflightConfig.STATE_DIR, dir.resolve("b").toString());
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp first = TrainerApp.start(InflightConfig.parse(a), fatal::set)) {
                long before = TrainerRuns.await(first, 1_000, fatal, Duration.ofSeconds(180)).events();
                try (TrainerApp second = TrainerApp.start(InflightConfig.parse(b), fatal::set)) {
                    // the group rebalances while the first instance trains on: then both run tasks
                    Await.until(Duration.ofSeconds(120), Duration.ofMillis(200), () -> "both instances running active tasks",
                            () -> assertThat(fatal.get()).isNull(),
                            // 4 intake tasks and 1 trainer task, shared
                            () -> activeTasks(first) > 0 && activeTasks(second) > 0
                                    && activeTasks(first) + activeTasks(second) == 5 ? Boolean.TRUE : null);
                    // the rest of the stream goes through both instances' intake tasks to the one trainer task
                    OneModelStreams.produce(broker, "so.clicks", 4, HALF, OneModelIT.EVENTS, MALFORMED_HALF);
                    List<TrainerApp> apps = List.of(first, second);
                    ProgressiveMetrics.Summary s = Await.until(Duration.ofSeconds(300), Duration.ofMillis(200),
                            () -> "one of the instances scoring every event", () -> assertThat(fatal.get()).isNull(),
                            () -> apps.stream().map(ScaleOutIT::summary).flatMap(Optional::stream)
                                    .filter(x -> x.events() + x.rejected() >= OneModelIT.EVENTS + OneModelIT.MALFORMED)
                                    .findFirst().orElse(null));
                    System.out.printf("ScaleOutIT: %d events trained before the second instance joined; active tasks "
                            + "after: first %d, second %d (trainer task on the %s)%n", before, activeTasks(first),
                            activeTasks(second), hostsTrainer(first) ? "first" : "second");
                    assertThat(s.events()).isEqualTo(OneModelIT.EVENTS);
                    assertThat(s.rejected()).isEqualTo(OneModelIT.MALFORMED);
                    second.close(Duration.ofSeconds(60));
                }
                first.close(Duration.ofSeconds(60));
            }
            // exactly once across the rebalance: one committed prediction per event, none twice
            List<String> ids = OneModelStreams.predictionIds(broker, "so.predictions");
            assertThat(ids).hasSize(OneModelIT.EVENTS).doesNotHaveDuplicates();
            assertThat(OneModelStreams.count(broker, "so.dead-letter")).isEqualTo(OneModelIT.MALFORMED);
            Set<Integer> models = new HashSet<>();
            OneModelStreams.readAll(broker, "so.model-updates", r -> models.add(ModelUpdateCodec.parseKey(r.key()).model()));
            assertThat(models).containsExactly(0);
        });
    }

    /** The summary of the instance hosting the trainer task, empty elsewhere or while it is not running. */
    private static Optional<ProgressiveMetrics.Summary> summary(TrainerApp app) {
        return app.state() == KafkaStreams.State.RUNNING ? app.summary() : Optional.empty();
    }

    private static boolean hostsTrainer(TrainerApp app) {
        return app.streams().metadataForLocalThreads().stream().map(ThreadMetadata::activeTasks)
                .flatMap(Set::stream).anyMatch(t -> t.taskId().subtopology() == 1);
    }

    private static long activeTasks(TrainerApp app) {
        return app.streams().metadataForLocalThreads().stream().map(ThreadMetadata::activeTasks)
                .flatMap(Set::stream).count();
    }
}
