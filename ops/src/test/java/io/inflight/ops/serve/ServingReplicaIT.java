package io.inflight.ops.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.train.TrainerApp;
import io.inflight.ops.train.TrainerRuns;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.RowSink;
import io.inflight.store.SharedRows;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.topology.TrainerTasks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A serving replica following a real trainer: it converges to exactly the trainer's committed rows. */
@Timeout(300)
class ServingReplicaIT {

    @Test
    void shouldServeExactlyTheRowsTheTrainerCommitted() throws Exception {
        ItFixtures.onBroker("serve", (dir, broker) -> {
            InflightConfig cfg = trainOn(dir, broker, "serve", Map.of());
            BatchSettings settings = cfg.batchSettings();

            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), "serve.model-updates",
                         new ServingModel(settings, BatchModels::create));
                 ServeEndpoint http = new ServeEndpoint("127.0.0.1", 0, replica)) {
                TrainerRuns.await(app, 5_000, fatal, Duration.ofSeconds(120));
                // The trainer's rows, read on its stream thread: [linear, D values] as the replica serves them.
                Map<Long, float[]> trained = TrainerTasks.call(cfg.getString(InflightConfig.APPLICATION_ID),
                        task -> rowsOf(task.rows(), settings.dim()), Duration.ofSeconds(30)).orElseThrow().get(0);
                assertThat(trained).isNotEmpty();
                Await.until(Duration.ofSeconds(120), Duration.ofMillis(50),
                        () -> "the replica serving all " + trained.size() + " rows (has " + replica.model().rows() + ")",
                        () -> assertThat(replica.failure()).isNull(),
                        () -> replica.model().rows() >= trained.size() ? Boolean.TRUE : null);
                assertThat(replica.failure()).isNull();
                assertThat(replica.model().rows()).isEqualTo(trained.size());
                trained.forEach((k, r) -> {
                    float[] served = replica.model().row(k);
                    assertThat(served).as("row %d", k).isNotNull();
                    assertThat(served).containsExactly(r);
                });
                assertThat(replica.model().denseVersion()).isEqualTo(100);

                // The HTTP path scores a known event with those rows.
                ClickEvent e = new SyntheticStream(GeneratorSpec.defaults(1, 3)).nextEvent();
                StringBuilder json = new StringBuilder("{\"features\":{");
                for (int i = 0; i < e.fields().size(); i++) {
                    json.append(i == 0 ? "" : ",").append('"').append(e.fields().get(i).name()).append("\":\"")
                            .append(e.fields().get(i).values().get(0)).append('"');
                }
                json.append("}}");
                HttpResponse<String> resp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http.port() + "/score")).POST(HttpRequest.BodyPublishers.ofString(
                        json.toString())).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(resp.statusCode()).isEqualTo(200);
                assertThat(resp.body()).contains("\"features\":8").contains("\"rows_found\":8")
                        .contains("\"p\":" + replica.model().score(e).p());
                HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http.port() + "/score")).POST(HttpRequest.BodyPublishers.ofString(
                        "{not json")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(bad.statusCode()).isEqualTo(400);
                assertThat(bad.body()).contains("not JSON");
            }
        });
    }

    /**
     * A trainer under a byte budget with shared hashed rows (mode all, rows refused for want of room,
     * every feature recurring at once): the replica holds its shared rows and gates as published and
     * scores each event of the next batch exactly as the trainer scores it, including features without
     * a row of their own.
     */
    @Test
    void shouldScoreLikeTheTrainerThroughItsSharedRows() throws Exception {
        ItFixtures.onBroker("serve-shared", (dir, broker) -> {
            InflightConfig cfg = trainOn(dir, broker, "shared", Map.of(
                    InflightConfig.APPLICATION_ID, "serve-shared",
                    InflightConfig.PREDICTIONS_ENABLED, "true",
                    PolicySettings.MODE, "all",
                    PolicySettings.BUDGET_BYTES, "200000",
                    PolicySettings.SHARED_FRACTION, "0.5",
                    PolicySettings.ADMISSION_COUNT, "1", // recurring at once: a feature without a row reads its shared row
                    PolicySettings.INTERVAL_STEPS, "30"));
            BatchSettings settings = cfg.batchSettings();
            int d = settings.dim();

            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), "shared.model-updates",
                         new ServingModel(settings, BatchModels::create))) {
                TrainerRuns.await(app, 5_000, fatal, Duration.ofSeconds(120));
                // the trainer's model after batch 100 (published with it): rows, shared rows, gates
                Map<Long, float[]> trained = new HashMap<>();
                float[][] shared = new float[2][];
                TrainerTasks.call("serve-shared", task -> {
                    trained.putAll(rowsOf(task.rows(), d));
                    SharedRows s = task.rows().shared();
                    shared[0] = new float[s.rows() * (d + 1)];
                    s.copyRows(0, s.rows(), shared[0], 0);
                    shared[1] = s.gates();
                    return 0;
                }, Duration.ofSeconds(30)).orElseThrow();
                assertThat(shared[0]).isNotNull();
                assertThat(shared[1]).hasSize(8);
                Await.until(Duration.ofSeconds(120), Duration.ofMillis(50),
                        () -> "the replica holding the trainer's " + shared[0].length / (d + 1) + " shared rows and "
                                + trained.size() + " rows (has " + replica.model().sharedRowsHeld() + " and "
                                + replica.model().rows() + ")",
                        () -> assertThat(replica.failure()).isNull(),
                        () -> replica.model().denseVersion() == 100 && replica.model().rows() == trained.size()
                                && Arrays.equals(replica.model().sharedValues(), shared[0])
                                && Arrays.equals(replica.model().sharedGates(), shared[1]) ? Boolean.TRUE : null);
                assertThat(replica.model().sharedRowsHeld()).isEqualTo(shared[0].length / (d + 1));
                trained.forEach((k, r) -> assertThat(replica.model().row(k)).as("row %d", k).containsExactly(r));

                // the next batch: the replica scores it now (model of batch 100), the trainer before learning from it
                List<ClickEvent> next = new ArrayList<>();
                SyntheticStream stream = new SyntheticStream(GeneratorSpec.defaults(5_050, 3)); // the stream's next 50
                while (stream.hasNext()) {
                    ClickEvent e = stream.nextEvent();
                    if (stream.index() <= 5_000) {
                        continue;
                    }
                    next.add(new ClickEvent("next-" + next.size(), e.eventTimeMs(), e.label(), e.fields(), e.numerics()));
                }
                Map<String, ServingModel.Score> served = new HashMap<>();
                next.forEach(e -> served.put(e.id(), replica.model().score(e)));
                assertThat(served.values()).as("events with a feature without a row of its own")
                        .anySatisfy(s -> assertThat(s.rowsFound()).isLessThan(s.features()))
                        .anySatisfy(s -> assertThat(s.rowsFound()).isPositive());
                System.out.printf("shared rows: H %d, %d of %d events scored with a feature without a row, %d of %d features%n",
                        replica.model().sharedRows(), served.values().stream().filter(s -> s.rowsFound() < s.features()).count(),
                        next.size(), served.values().stream().mapToInt(s -> s.features() - s.rowsFound()).sum(),
                        served.values().stream().mapToInt(ServingModel.Score::features).sum());
                Map<String, Double> predicted = predictionsOf(cfg, next);
                assertThat(predicted).hasSize(next.size());
                for (ClickEvent e : next) {
                    ServingModel.Score s = served.get(e.id());
                    assertThat(Losses.sigmoid(s.logit())).as("event %s (%d of %d features with a row)", e.id(), s.rowsFound(),
                            s.features()).isEqualTo(predicted.get(e.id()));
                }
            }
        });
    }

    /** Writes {@code events} to the clicks topic and reads the trainer's prediction of each. */
    private static Map<String, Double> predictionsOf(InflightConfig cfg, List<ClickEvent> events) throws Exception {
        Map<String, Object> p = new HashMap<>(cfg.kafkaClientConfigs());
        p.put("isolation.level", "read_committed");
        ObjectMapper json = new ObjectMapper();
        Map<String, Double> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(cfg.topics().predictions(), Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            c.assign(parts);
            c.seekToEnd(parts);
            parts.forEach(c::position); // before the events go out
            try (TopicSink sink = new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks())) {
                events.forEach(sink::write);
            }
            Await.until(Duration.ofSeconds(60), Duration.ofMillis(10),
                    () -> "predictions of the " + events.size() + " events (have " + out.size() + ")",
                    () -> { },
                    () -> {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                            JsonNode n = json.readTree(r.value());
                            out.put(n.get("id").asText(), n.get("p").asDouble());
                        }
                        return out.size() >= events.size() ? Boolean.TRUE : null;
                    });
        }
        return out;
    }

    /** The topics of {@code prefix} with 5,000 events in clicks; the trainer's config (FM, 8 fields, batch 50). */
    private static InflightConfig trainOn(Path dir, EmbeddedBroker broker, String prefix, Map<String, String> extra)
            throws Exception {
        Map<String, String> raw = ItFixtures.trainerSettings(broker, prefix, dir.resolve("state"));
        raw.put(InflightConfig.MODEL_TYPE, "fm");
        raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
        raw.put(InflightConfig.BATCH_SIZE, "50");
        raw.put(InflightConfig.PUBLISH_EVERY, "1");
        extra.forEach(raw::putIfAbsent); // the settings above win
        InflightConfig cfg = InflightConfig.parse(raw);
        TrainerApp.ensureTopics(cfg);
        Generation.run(GeneratorSpec.defaults(5_000, 3), new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks()),
                ItFixtures.quiet());
        return cfg;
    }

    /** The trainer's rows as the replica serves them, [linear, D values]; on the task's stream thread. */
    private static Map<Long, float[]> rowsOf(EmbeddingRows rows, int d) {
        Map<Long, float[]> out = new HashMap<>();
        rows.snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                float[] r = new float[d + 1];
                r[0] = linear;
                System.arraycopy(values, 0, r, 1, d);
                out.put(key, r);
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("a snapshot has no tombstones");
            }
        });
        return out;
    }
}
