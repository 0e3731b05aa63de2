package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.cli.CliRun;
import io.inflight.ops.serve.ServingModel;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code inflight.topology.models=one} on a 4-partition clicks topic: one trainer task scores and
 * trains every event (the malformed ones are dead-lettered by the intake tasks), publishes one
 * model (model 0) that a serving replica with the default model follows, and learns about as well
 * as from the same events through one partition, better than 4 separate replicas.
 */
@Timeout(600)
class OneModelIT {

    static final int EVENTS = 8_000;
    static final int MALFORMED = 40;
    static final int BATCH = 50;

    /** A trainer's settings on {@code prefix}.* as application {@code appId}. */
    static Map<String, String> settings(EmbeddedBroker broker, String prefix, String appId, Path state, String models) {
        Map<String, String> raw = ItFixtures.trainerSettings(broker, prefix, state);
        raw.put(InflightConfig.APPLICATION_ID, appId);
        raw.put(InflightConfig.TOPOLOGY_MODELS, models);
        raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
        raw.put(InflightConfig.BATCH_SIZE, Integer.toString(BATCH));
        raw.put(InflightConfig.PUBLISH_EVERY, "10");
        raw.put(InflightConfig.PREDICTIONS_ENABLED, "true");
        return raw;
    }

    /** Trains everything in {@code raw}'s clicks topic; the summary once every record is trained or rejected. */
    static ProgressiveMetrics.Summary train(Map<String, String> raw) throws Exception {
        InflightConfig config = InflightConfig.parse(raw);
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        try (TrainerApp app = TrainerApp.start(config, fatal::set)) {
            ProgressiveMetrics.Summary s = TrainerRuns.await(app, EVENTS + MALFORMED, fatal, Duration.ofSeconds(240));
            app.close(Duration.ofSeconds(60));
            return s;
        }
    }

    @Test
    void shouldTrainUntilCaughtUpAcrossTheEventsTopic() throws Exception {
        ItFixtures.onBroker("onemodel-cli", (dir, broker) -> {
            OneModelStreams.produce(broker, "omc", 4, EVENTS, MALFORMED);
            String[] common = {"train", "-b", broker.bootstrapServers(), "--set", "inflight.topic.prefix=omc",
                    "--set", "inflight.application.id=omc-trainer", "--set", "inflight.state.dir=" + dir.resolve("state"),
                    "--set", "inflight.model.fields=f0,f1,f2,f3,f4,f5,f6,f7", "--set", "inflight.train.batch.size=48"};
            CliRun refused = CliRun.of(concat(common, "--max-events", "100"));
            assertThat(refused.rc()).as(refused.all()).isEqualTo(2);
            assertThat(refused.all()).contains("--max-events 100").contains(InflightConfig.TOPOLOGY_MODELS);
            CliRun r = CliRun.of(concat(common, "--until-caught-up"));
            assertThat(r.rc()).as(r.all()).isZero();
            // 8,000 / 48: 166 whole batches and a partial one of 32, trained at the end
            assertThat(r.out()).contains("Caught up with the stop offsets").contains("scored 8,000 events")
                    .contains("; none waits for a batch");
            assertThat(OneModelStreams.count(broker, "omc.dead-letter")).isEqualTo(MALFORMED);
        });
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void shouldTrainOneModelFromFourPartitions() throws Exception {
        ItFixtures.onBroker("onemodel", (dir, broker) -> {
            OneModelStreams.produce(broker, "om4", 4, EVENTS, MALFORMED);
            OneModelStreams.produce(broker, "om1", 1, EVENTS, MALFORMED);

            Map<String, String> raw = settings(broker, "om4", "om4-one", dir.resolve("one"), InflightConfig.MODELS_ONE);
            ProgressiveMetrics.Summary one = train(raw);
            // every valid event scored once by the one model (whole batches: 8,000 / 50), every malformed one dead-lettered
            assertThat(one.events()).isEqualTo(EVENTS);
            assertThat(one.rejected()).isEqualTo(MALFORMED);
            assertThat(OneModelStreams.predictionIds(broker, "om4.predictions")).hasSize(EVENTS).doesNotHaveDuplicates();
            assertThat(OneModelStreams.count(broker, "om4.dead-letter")).isEqualTo(MALFORMED);

            // one model on model-updates, followed by a serving replica of the default model
            InflightConfig config = InflightConfig.parse(raw);
            ServingModel served = new ServingModel(config.batchSettings(), BatchModels::create);
            Set<Integer> models = new HashSet<>();
            Set<Long> rows = new HashSet<>();
            OneModelStreams.readAll(broker, "om4.model-updates", r -> {
                ModelUpdateCodec.Key k = ModelUpdateCodec.parseKey(r.key());
                models.add(k.model());
                if (k.row()) {
                    rows.add(k.id());
                }
                served.apply(r.key(), r.value());
            });
            assertThat(models).containsExactly(0);
            assertThat(rows).isNotEmpty();
            assertThat(served.rows()).isEqualTo(rows.size());
            assertThat(served.denseVersion()).isPositive();

            ProgressiveMetrics.Summary single = train(settings(broker, "om1", "om1-one", dir.resolve("single"),
                    InflightConfig.MODELS_ONE));
            ProgressiveMetrics.Summary replicas = train(settings(broker, "om4", "om4-replicas", dir.resolve("replicas"),
                    InflightConfig.MODELS_PER_PARTITION));
            System.out.printf(Locale.ROOT, "OneModelIT: progressive AUC over %,d events: one model from 4 partitions %.4f, "
                    + "1 partition %.4f, 4 separate replicas %.4f%n", EVENTS, one.auc(), single.auc(), replicas.auc());
            assertThat(single.events()).isEqualTo(EVENTS);
            assertThat(replicas.events()).isEqualTo(EVENTS);
            assertThat(Math.abs(one.auc() - single.auc())).isLessThan(0.02);
            assertThat(one.auc()).isGreaterThan(replicas.auc());

            // the replicas' application cannot go on as one model: refused at start, naming the setting
            Map<String, String> switched = settings(broker, "om4", "om4-replicas", dir.resolve("replicas"),
                    InflightConfig.MODELS_ONE);
            assertThatThrownBy(() -> TrainerApp.start(InflightConfig.parse(switched), e -> { }))
                    .isInstanceOf(ConfigException.class).hasMessageContaining(InflightConfig.TOPOLOGY_MODELS)
                    .hasMessageContaining("one").hasMessageContaining("4 trainer tasks");
        });
    }
}
