package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The trainer topology on a real embedded broker, with exactly-once and a restore from the changelog. */
@Timeout(300)
class TrainerPipelineIT {

    private static final int EVENTS = 20_000;

    @Test
    void shouldTrainCommitAndRestoreTheSameModel() throws Exception {
        ItFixtures.onBroker("pipeline", (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, "it", dir.resolve("state-1"));
            raw.put(InflightConfig.APPLICATION_ID, "it-trainer");
            raw.put(InflightConfig.MODEL_FIELDS, GeneratorSpec.defaults(EVENTS, 11).fieldNames());
            raw.put(InflightConfig.BATCH_SIZE, "100"); // divides EVENTS: every event is trained
            InflightConfig first = InflightConfig.parse(raw);

            TrainerApp.ensureTopics(first);
            try (Admin admin = Admin.create(new HashMap<>(first.kafkaClientConfigs()))) {
                ConfigResource updates = new ConfigResource(ConfigResource.Type.TOPIC, "it.model-updates");
                Config c = admin.describeConfigs(List.of(updates)).all().get().get(updates);
                assertThat(c.get("cleanup.policy").value()).isEqualTo("compact");
            }
            ProgressiveMetrics.Summary teacher = Generation.run(GeneratorSpec.defaults(EVENTS, 11),
                    new TopicSink(first.kafkaClientConfigs(), "it.clicks"), ItFixtures.quiet());
            try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("it.clicks", new byte[] {42})).get();
                producer.send(new ProducerRecord<>("it.clicks", new byte[0])).get();
            }

            ProgressiveMetrics.Summary trained;
            String hash;
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(first, fatal::set)) {
                trained = TrainerRuns.await(app, EVENTS + 2, fatal, Duration.ofSeconds(180));
                hash = app.modelHash().orElseThrow();
                app.close(Duration.ofSeconds(60));
            }
            assertThat(trained.events()).isEqualTo(EVENTS);
            assertThat(trained.rejected()).isEqualTo(2);
            assertThat(trained.auc()).isGreaterThan(0.62).isLessThan(teacher.auc() + 0.01);
            assertThat(trained.logLoss()).isLessThan(Math.log(2));

            // A new instance with an empty state directory restores everything from the changelogs:
            // what it restores is exactly what was committed.
            raw.put(InflightConfig.STATE_DIR, dir.resolve("state-2").toString());
            InflightConfig second = InflightConfig.parse(raw);
            try (TrainerApp app = TrainerApp.start(second, fatal::set)) {
                ProgressiveMetrics.Summary restored = TrainerRuns.await(app, EVENTS + 2, fatal, Duration.ofSeconds(180));
                assertThat(restored).isEqualTo(trained);
                assertThat(app.modelHash()).contains(hash);
            }
        });
    }
}
