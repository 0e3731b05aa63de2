package io.inflight.ops.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.ops.train.TrainerApp;
import io.inflight.ops.train.TrainerRuns;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.topology.WarmStarts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Snapshots on a real broker: a snapshot exported from the model-updates topic of a running trainer
 * starts a replica that, following the topic from the snapshot's offsets, scores exactly like a
 * replica that followed the topic from the beginning; and a new application warm-started from it
 * scores its first events far better than a cold start on the same events.
 */
@Timeout(600)
class SnapshotIT {

    private static final int FIRST = 5_000;
    private static final int MORE = 1_000;
    private static final int FRESH = 1_000;

    @Test
    void shouldServeAndWarmStartFromASnapshot() throws Exception {
        ItFixtures.onBroker("snapshot", (dir, broker) -> {
            InflightConfig cfg = config(dir, broker, "snap");
            TrainerApp.ensureTopics(cfg);
            produce(cfg, 0, FIRST);
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            Path file = dir.resolve("model.snap");
            ModelSnapshot saved;
            ProgressiveMetrics.Summary trained;
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 ServingReplica followed = new ServingReplica(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                         new ServingModel(cfg.batchSettings(), BatchModels::create))) {
                TrainerRuns.await(app, FIRST, fatal, Duration.ofSeconds(180));
                trained = app.windowSummary().orElseThrow(); // the model the snapshot holds, on its last window of events
                // the last batches' publications commit with the trainer's next commit: wait until a replica sees them
                Await.until(Duration.ofSeconds(60), Duration.ofMillis(50), () -> "the publication of batch " + FIRST / 50,
                        () -> assertThat(followed.failure()).isNull(),
                        () -> followed.model().denseVersion() == FIRST / 50 ? Boolean.TRUE : null);
                long t0 = System.nanoTime();
                SnapshotFile.write(file, TopicSnapshot.read(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                        new ServingModel(cfg.batchSettings(), BatchModels::create), "snap-a", ModelSnapshot.shapingOf(cfg),
                        Duration.ofSeconds(60)));
                saved = SnapshotFile.read(file);
                System.out.printf("snapshot: %d rows, dense version %d, %d dense floats, offsets %s, %d bytes, %.0f ms%n",
                        saved.rows().size(), saved.denseVersion(), saved.dense().length, saved.offsets(),
                        java.nio.file.Files.size(file), (System.nanoTime() - t0) / 1e6);
                assertThat(saved.rows()).hasSizeGreaterThan(1_000);
                assertThat(saved.denseVersion()).isEqualTo(FIRST / 50);
                assertThat(saved.offsets().values()).allSatisfy(o -> assertThat(o).isPositive());

                // a replica from the snapshot, following the topic from its offsets, while the trainer learns more
                ServingModel fromSnapshot = new ServingModel(cfg.batchSettings(), BatchModels::create);
                fromSnapshot.load(saved);
                assertThat(fromSnapshot.rows()).isEqualTo(saved.rows().size());
                try (ServingReplica resumed = new ServingReplica(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                        fromSnapshot, saved.offsets())) {
                    produce(cfg, FIRST, MORE);
                    TrainerRuns.await(app, FIRST + MORE, fatal, Duration.ofSeconds(180));
                    long last = (FIRST + MORE) / 50;
                    Await.until(Duration.ofSeconds(120), Duration.ofMillis(50),
                            () -> "both replicas at dense version " + last + " (followed " + followed.model().denseVersion()
                                    + ", from the snapshot " + resumed.model().denseVersion() + ")",
                            () -> assertThat(followed.failure()).isNull(),
                            () -> followed.model().denseVersion() == last && resumed.model().denseVersion() == last
                                    && followed.model().rows() == resumed.model().rows() ? Boolean.TRUE : null);
                    assertThat(resumed.failure()).isNull();
                    // it read only what came after the snapshot, fewer records than the whole topic
                    assertThat(resumed.applied()).isPositive().isLessThan(followed.applied());
                    List<ClickEvent> probe = events(FIRST + MORE, 200);
                    ServingModel alone = fromSnapshotAlone(saved, cfg);
                    int differ = 0;
                    for (ClickEvent e : probe) {
                        double a = followed.model().score(e).logit();
                        double b = resumed.model().score(e).logit();
                        assertThat(b).as("logit of event %s", e.id()).isEqualTo(a);
                        differ += Math.abs(a - alone.score(e).logit()) > 1e-6 ? 1 : 0;
                    }
                    // and the updates after the snapshot did change the model (so following them mattered)
                    assertThat(differ).isPositive();
                }
            }

            // a new application warm-started from the snapshot against a cold start, on the same unseen events
            InflightConfig warm = config(dir, broker, "warm");
            InflightConfig cold = config(dir, broker, "cold");
            saved.checkShape(warm, file);
            for (InflightConfig c : List.of(warm, cold)) {
                TrainerApp.ensureTopics(c);
                produce(c, FIRST + MORE, FRESH);
            }
            WarmStarts.register(warm.getString(InflightConfig.APPLICATION_ID), new SnapshotWarmStart(saved));
            ProgressiveMetrics.Summary w;
            ProgressiveMetrics.Summary c;
            try (TrainerApp a = TrainerApp.start(warm, fatal::set); TrainerApp b = TrainerApp.start(cold, fatal::set)) {
                w = TrainerRuns.await(a, FRESH, fatal, Duration.ofSeconds(180));
                c = TrainerRuns.await(b, FRESH, fatal, Duration.ofSeconds(180));
            } finally {
                WarmStarts.unregister(warm.getString(InflightConfig.APPLICATION_ID));
            }
            System.out.printf("first %d events of a new application: warm start AUC %.4f (NE %.4f), cold start AUC %.4f "
                    + "(NE %.4f); the snapshot's trainer on its last window: AUC %.4f (NE %.4f)%n", FRESH, w.auc(), w.ne(),
                    c.auc(), c.ne(), trained.auc(), trained.ne());
            assertThat(w.events()).isEqualTo(FRESH);
            assertThat(w.auc()).isGreaterThan(c.auc() + 0.05).isGreaterThan(trained.auc() - 0.03);
            assertThat(w.ne()).isLessThan(c.ne());
        });
    }

    /** A replica of the snapshot alone (following nothing). */
    private static ServingModel fromSnapshotAlone(ModelSnapshot s, InflightConfig cfg) {
        ServingModel m = new ServingModel(cfg.batchSettings(), BatchModels::create);
        m.load(s);
        return m;
    }

    /** FM, 8 fields, batch 50, publishing after every batch; application {@code <prefix>-app}, topics {@code <prefix>.*}. */
    private static InflightConfig config(Path dir, EmbeddedBroker broker, String prefix) {
        Map<String, String> raw = ItFixtures.trainerSettings(broker, prefix, dir.resolve("state-" + prefix));
        raw.put(InflightConfig.APPLICATION_ID, prefix + "-app");
        raw.put(InflightConfig.MODEL_TYPE, "fm");
        raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
        raw.put(InflightConfig.BATCH_SIZE, "50");
        raw.put(InflightConfig.PUBLISH_EVERY, "1");
        return InflightConfig.parse(raw);
    }

    /** Events {@code [from, from + n)} of the generated stream (seed 3) into the clicks topic of {@code cfg}. */
    private static void produce(InflightConfig cfg, int from, int n) {
        try (TopicSink sink = new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks())) {
            events(from, n).forEach(sink::write);
        }
    }

    private static List<ClickEvent> events(int from, int n) {
        SyntheticStream stream = new SyntheticStream(GeneratorSpec.defaults(from + n, 3));
        List<ClickEvent> out = new ArrayList<>();
        while (stream.hasNext()) {
            ClickEvent e = stream.nextEvent();
            if (stream.index() > from) {
                out.add(e);
            }
        }
        return out;
    }
}
