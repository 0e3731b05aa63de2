package io.inflight.ops.serve;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.train.TrainerApp;
import io.inflight.ops.train.TrainerRuns;
import io.inflight.policies.Precision;
import io.inflight.store.RowSink;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.topology.TrainerTasks;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A serving replica following a real trainer: it converges to exactly the trainer's committed rows. */
@Timeout(300)
class ServingReplicaIT {

    @Test
    void shouldServeExactlyTheRowsTheTrainerCommitted() throws Exception {
        Path dir = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it")), "serve");
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 0)) {
            Map<String, String> raw = new HashMap<>();
            raw.put(InflightConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            raw.put(InflightConfig.TOPIC_PREFIX, "serve");
            raw.put(InflightConfig.STATE_DIR, dir.resolve("state").toString());
            raw.put(InflightConfig.MODEL_TYPE, "fm");
            raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
            raw.put(InflightConfig.BATCH_SIZE, "50");
            raw.put(InflightConfig.PUBLISH_EVERY, "1");
            InflightConfig cfg = InflightConfig.parse(raw);
            BatchSettings settings = cfg.batchSettings();
            TrainerApp.ensureTopics(cfg);
            Generation.run(GeneratorSpec.defaults(5_000, 3), new TopicSink(cfg.kafkaClientConfigs(), "serve.clicks"),
                    new PrintStream(OutputStream.nullOutputStream()));

            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), "serve.model-updates",
                         new ServingModel(settings, BatchModels::create));
                 ServeEndpoint http = new ServeEndpoint("127.0.0.1", 0, replica)) {
                TrainerRuns.await(app, 5_000, fatal, Duration.ofSeconds(120));
                // The trainer's rows, read on its stream thread: [linear, D values] as the replica serves them.
                Map<Long, float[]> trained = new HashMap<>();
                TrainerTasks.call(cfg.getString(InflightConfig.APPLICATION_ID), task -> {
                    task.rows().snapshot(new RowSink() {
                        @Override
                        public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                            float[] r = new float[settings.dim() + 1];
                            r[0] = linear;
                            System.arraycopy(values, 0, r, 1, settings.dim());
                            trained.put(key, r);
                        }

                        @Override
                        public void evicted(long key) {
                            throw new AssertionError("a snapshot has no tombstones");
                        }
                    });
                    return trained.size();
                }, Duration.ofSeconds(30)).orElseThrow();
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
        }
    }
}
