package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.cli.CliRun;
import io.inflight.ops.serve.ServingModel;
import io.inflight.policies.PolicySettings;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * Row shards ({@code inflight.topology.shards=3}) on a real broker: the rows live in three shard
 * tasks reached through the internal row-requests and row-replies topics. With one batch in flight or
 * eight (the trainer's window cache keeps what the replies lack) the committed predictions are byte
 * for byte those of the trainer that holds its rows; with a restart in the middle, every event is
 * scored exactly once and every malformed one dead-lettered.
 */
@Timeout(600)
class ShardedTrainingIT {

    static final int EVENTS = 2_000;
    static final int MALFORMED = 10;

    private static Map<String, String> settings(EmbeddedBroker broker, String prefix, String appId, Path state, int shards,
                                                int window) {
        Map<String, String> raw = OneModelIT.settings(broker, prefix, appId, state, InflightConfig.MODELS_ONE);
        raw.put(PolicySettings.MODE, "none");
        raw.put(InflightConfig.TOPOLOGY_SHARDS, Integer.toString(shards));
        raw.put(InflightConfig.TOPOLOGY_SHARD_WINDOW, Integer.toString(window));
        return raw;
    }

    private static List<String> predictions(EmbeddedBroker broker, String topic) {
        List<String> out = new ArrayList<>();
        OneModelStreams.readAll(broker, topic, r -> out.add(new String(r.value(), StandardCharsets.UTF_8)));
        return out;
    }

    private static ProgressiveMetrics.Summary train(Map<String, String> raw, int events) throws Exception {
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        try (TrainerApp app = TrainerApp.start(InflightConfig.parse(raw), fatal::set)) {
            ProgressiveMetrics.Summary s = TrainerRuns.await(app, events, fatal, Duration.ofSeconds(300));
            app.close(Duration.ofSeconds(60));
            return s;
        }
    }

    @Test
    void shouldScoreAsTheTrainerThatHoldsItsRowsWhateverTheWindow() throws Exception {
        ItFixtures.onBroker("sharded-same", (dir, broker) -> {
            OneModelStreams.produce(broker, "shl", 1, EVENTS, MALFORMED);
            long t0 = System.nanoTime();
            ProgressiveMetrics.Summary local = train(settings(broker, "shl", "shl-local", dir.resolve("local"), 0, 1),
                    EVENTS + MALFORMED);
            double localSeconds = (System.nanoTime() - t0) / 1e9;
            List<String> fromLocal = predictions(broker, "shl.predictions");
            assertThat(fromLocal).hasSize(EVENTS);
            int run = 1;
            for (int window : new int[] {1, 8}) {
                t0 = System.nanoTime();
                ProgressiveMetrics.Summary sharded = train(settings(broker, "shl", "shl-shards-" + window,
                        dir.resolve("shards-" + window), 3, window), EVENTS + MALFORMED);
                double seconds = (System.nanoTime() - t0) / 1e9;
                List<String> all = predictions(broker, "shl.predictions");
                System.out.printf(Locale.ROOT, "ShardedTrainingIT: %,d events, AUC %.4f through 3 shards (window %d) in "
                        + "%.1f s, %.4f with the rows in the trainer in %.1f s%n", EVENTS, sharded.auc(), window, seconds,
                        local.auc(), localSeconds);
                run++;
                assertThat(all).hasSize(run * EVENTS);
                assertThat(all.subList((run - 1) * EVENTS, run * EVENTS)).as("window %d", window)
                        .containsExactlyElementsOf(fromLocal);
                assertThat(sharded).isEqualTo(local);
            }
            assertThat(OneModelStreams.count(broker, "shl.dead-letter")).isEqualTo(3 * MALFORMED);
        });
    }

    @Test
    void shouldTrainUntilCaughtUpThroughRowShardsFromTheCommandLine() throws Exception {
        ItFixtures.onBroker("sharded-cli", (dir, broker) -> {
            OneModelStreams.produce(broker, "shc", 2, EVENTS, MALFORMED);
            // 2,000 / 48: 41 whole batches and a partial one of 32, trained at the end; then the held pushes go out
            CliRun r = CliRun.of("train", "-b", broker.bootstrapServers(), "--until-caught-up", "--set",
                    "inflight.topic.prefix=shc", "--set", "inflight.application.id=shc-trainer", "--set",
                    "inflight.state.dir=" + dir.resolve("state"), "--set", "inflight.model.fields=f0,f1,f2,f3,f4,f5,f6,f7",
                    "--set", "inflight.train.batch.size=48", "--set", "inflight.topology.shards=2");
            assertThat(r.rc()).as(r.all()).isZero();
            assertThat(r.out()).contains("Caught up with the stop offsets").contains("scored 2,000 events")
                    .contains("; none waits for a batch");
            assertThat(OneModelStreams.count(broker, "shc.dead-letter")).isEqualTo(MALFORMED);
            // a serving replica follows the one model: rows from the shards, the dense state from the trainer,
            // published as the finish was trained (42 batches and the 32 that carried the last pushes)
            Map<String, String> raw = OneModelIT.settings(broker, "shc", "shc-trainer", dir.resolve("state"),
                    InflightConfig.MODELS_ONE);
            raw.put(InflightConfig.BATCH_SIZE, "48");
            ServingModel served = new ServingModel(InflightConfig.parse(raw).batchSettings(), BatchModels::create);
            Set<Integer> models = new HashSet<>();
            OneModelStreams.readAll(broker, "shc.model-updates", rec -> {
                models.add(ModelUpdateCodec.parseKey(rec.key()).model());
                served.apply(rec.key(), rec.value());
            });
            assertThat(models).containsExactly(0);
            assertThat(served.rows()).isPositive();
            assertThat(served.denseVersion()).isEqualTo(42 + 32);
        });
    }

    @Test
    void shouldHoldTheBudgetAtTheRowShardsFromTheCommandLine() throws Exception {
        ItFixtures.onBroker("sharded-budget", (dir, broker) -> {
            OneModelStreams.produce(broker, "shb", 2, EVENTS, MALFORMED);
            long budget = 100_000;
            CliRun r = CliRun.of("train", "-b", broker.bootstrapServers(), "--until-caught-up", "--set",
                    "inflight.topic.prefix=shb", "--set", "inflight.application.id=shb-trainer", "--set",
                    "inflight.state.dir=" + dir.resolve("state"), "--set", "inflight.model.fields=f0,f1,f2,f3,f4,f5,f6,f7",
                    "--set", "inflight.train.batch.size=48", "--set", "inflight.topology.shards=2",
                    "--set", "inflight.policy.mode=adaembed", "--set", "inflight.policy.budget.bytes=" + budget,
                    "--set", "inflight.policy.interval.steps=10");
            assertThat(r.rc()).as(r.all()).isZero();
            assertThat(r.out()).contains("scored 2,000 events");
            // the summary reads the two shards' tables (where the rows are): under the budget, with rows evicted
            String summary = r.out().substring(r.out().lastIndexOf("scored 2,000 events"));
            Matcher table = Pattern.compile("table ([0-9.]+) kB \\(budget 100\\.0 kB\\)").matcher(summary);
            assertThat(table.find()).as(r.out()).isTrue();
            assertThat(Double.parseDouble(table.group(1)) * 1000).isPositive().isLessThanOrEqualTo(budget);
            Matcher rows = Pattern.compile("rows ([0-9,]+), by chunks.* evicted ([0-9,]+)").matcher(summary);
            assertThat(rows.find()).as(r.out()).isTrue();
            long stored = Long.parseLong(rows.group(1).replace(",", ""));
            assertThat(Long.parseLong(rows.group(2).replace(",", ""))).as("rows evicted: %s", r.out()).isPositive();
            // the shards published what they evicted: a replica holds the rows the shards hold
            Map<String, String> raw = OneModelIT.settings(broker, "shb", "shb-trainer", dir.resolve("state"),
                    InflightConfig.MODELS_ONE);
            raw.put(InflightConfig.BATCH_SIZE, "48");
            ServingModel served = new ServingModel(InflightConfig.parse(raw).batchSettings(), BatchModels::create);
            OneModelStreams.readAll(broker, "shb.model-updates", rec -> served.apply(rec.key(), rec.value()));
            assertThat(served.rows()).isEqualTo(stored);
        });
    }

    /** With mode adaembed the shards evict under a budget the window's rows alone exceed: rows in flight go too. */
    @ParameterizedTest
    @ValueSource(strings = {"none", "adaembed"})
    void shouldScoreEveryEventOnceAcrossARestart(String mode) throws Exception {
        ItFixtures.onBroker("sharded-restart-" + mode, (dir, broker) -> {
            OneModelStreams.produce(broker, "shr", 2, EVENTS, MALFORMED);
            Map<String, String> raw = settings(broker, "shr", "shr-shards", dir.resolve("state"), 3, 4);
            raw.put("inflight.policy.mode", mode);
            raw.put("inflight.policy.budget.bytes", "60000");
            raw.put("inflight.policy.interval.steps", "10");
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(InflightConfig.parse(raw), fatal::set)) {
                Await.until(Duration.ofSeconds(240), Duration.ofMillis(200), () -> "a third of the events scored",
                        () -> assertThat(fatal.get()).isNull(),
                        () -> OneModelStreams.count(broker, "shr.predictions") >= EVENTS / 3 ? Boolean.TRUE : null);
                app.close(Duration.ofSeconds(60));
            }
            ProgressiveMetrics.Summary s = train(raw, EVENTS + MALFORMED);
            assertThat(s.events()).isEqualTo(EVENTS);
            assertThat(s.rejected()).isEqualTo(MALFORMED);
            assertThat(OneModelStreams.predictionIds(broker, "shr.predictions")).hasSize(EVENTS).doesNotHaveDuplicates();
            assertThat(OneModelStreams.count(broker, "shr.dead-letter")).isEqualTo(MALFORMED);
            assertThat(s.auc()).isGreaterThan(0.6);
        });
    }
}
