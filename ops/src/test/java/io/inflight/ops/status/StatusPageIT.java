package io.inflight.ops.status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.serve.ServeEndpoint;
import io.inflight.ops.serve.ServeMeters;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.ops.train.MetricsEndpoint;
import io.inflight.ops.train.TrainerApp;
import io.inflight.ops.train.TrainerRuns;
import io.inflight.policies.PolicySettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.MeterCatalogue;
import io.inflight.trainer.model.BatchModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The status pages of a real trainer (embedded broker, policy passes under a budget) and of a serving
 * replica following it, rendered by headless chromium: every plot got data points, and both
 * {@code /metrics} carry every catalogue meter of their role. With {@code -Dinflight.screenshot=PATH}
 * it also saves a screenshot of the trainer's page (the README's).
 */
@Timeout(600)
class StatusPageIT {

    private static final int EVENTS = 60_000;
    private static final Duration SAMPLES = Duration.ofMillis(500);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldPlotALiveTrainerAndReplicaInAHeadlessBrowser() throws Exception {
        Path work = ItFixtures.workDir("status");
        HeadlessChromium chromium = HeadlessChromium.find(work);
        assumeTrue(chromium != null, HeadlessChromium.MISSING);
        ItFixtures.onBroker("status", (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, "status", dir.resolve("state"));
            raw.put(InflightConfig.APPLICATION_ID, "status-trainer");
            GeneratorSpec spec = GeneratorSpec.defaults(EVENTS, 5);
            raw.put(InflightConfig.MODEL_FIELDS, spec.fieldNames());
            raw.put(InflightConfig.STORE_CHUNKS, "2,2,2,2");
            raw.put(InflightConfig.WINDOW_EVENTS, "10000"); // the window AUC apart from the progressive one
            raw.put(PolicySettings.MODE, "all");
            raw.put(PolicySettings.BUDGET_BYTES, "300000");
            raw.put(PolicySettings.INTERVAL_STEPS, "100");
            InflightConfig cfg = InflightConfig.parse(raw);
            TrainerApp.ensureTopics(cfg);
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (MetricsEndpoint trainPort = new MetricsEndpoint("127.0.0.1", 0);
                 TrainerApp app = TrainerApp.start(cfg, fatal::set, trainPort.registry());
                 StatusSampler trainSampler = StatusPages.train(trainPort, app, cfg.inflightValues(), SAMPLES);
                 MetricsEndpoint servePort = new MetricsEndpoint("127.0.0.1", 0);
                 ServingReplica replica = new ServingReplica(cfg.kafkaClientConfigs(), cfg.topics().modelUpdates(),
                         new ServingModel(cfg.batchSettings(), BatchModels::create));
                 ServeEndpoint scoring = new ServeEndpoint("127.0.0.1", 0, replica)) {
                ServeMeters serveMeters = ServeMeters.on(replica, servePort.registry());
                scoring.meters(serveMeters);
                try (StatusSampler serveSampler = StatusPages.serve(servePort, serveMeters, cfg.inflightValues(), SAMPLES)) {
                    Generation.run(spec, new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks()), ItFixtures.quiet());
                    TrainerRuns.await(app, EVENTS, fatal, Duration.ofSeconds(240));
                    // requests across several samples, so that requests/s and latency have points
                    for (int i = 0; i < 20; i++) {
                        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + scoring.port() + "/score")).POST(HttpRequest.BodyPublishers.ofString(
                                "{\"features\":{\"f0\":\"v1\",\"f1\":\"v2\"}}")).build(), HttpResponse.BodyHandlers.ofString());
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        Thread.sleep(150);
                    }
                    Await.until(Duration.ofSeconds(60), Duration.ofMillis(200), () -> "4 samples with the last events",
                            () -> assertThat(fatal.get()).isNull(),
                            () -> app.gauges().sample(Duration.ofSeconds(10)).filter(v -> v.get("events") == EVENTS)
                                    .isPresent() && get(trainPort, "/status.json").contains("\"t\":[") ? Boolean.TRUE : null);
                    Thread.sleep(4 * SAMPLES.toMillis());

                    String trainUrl = "http://127.0.0.1:" + trainPort.port() + "/";
                    Map<String, Integer> trainPoints = HeadlessChromium.points(chromium.dumpDom(trainUrl, 5_000));
                    assertThat(trainPoints).as("train page").containsOnlyKeys("auc", "ne", "rate", "bytes", "rows", "fresh");
                    assertThat(trainPoints.values()).as("train page points " + trainPoints).allMatch(n -> n > 0);
                    String serveUrl = "http://127.0.0.1:" + servePort.port() + "/";
                    Map<String, Integer> servePoints = HeadlessChromium.points(chromium.dumpDom(serveUrl, 5_000));
                    assertThat(servePoints).as("serve page").containsOnlyKeys("fresh", "rows", "rate", "latency");
                    assertThat(servePoints.values()).as("serve page points " + servePoints).allMatch(n -> n > 0);

                    assertScrapes(trainPort, MeterCatalogue.Role.TRAIN);
                    assertScrapes(servePort, MeterCatalogue.Role.SERVE);
                    assertThat(get(trainPort, "/status.json")).contains("\"passes\":[{\"step\":");
                    assertThat(get(trainPort, "/uPlot-LICENSE.txt")).contains("MIT License");
                    String shot = System.getProperty("inflight.screenshot", "");
                    if (!shot.isBlank()) {
                        chromium.screenshot(trainUrl, Path.of(shot), 5_000);
                    }
                }
            }
        });
    }

    /** Every catalogue meter of {@code role} is on {@code port}'s /metrics with a number. */
    private static void assertScrapes(MetricsEndpoint port, MeterCatalogue.Role role) throws Exception {
        Map<String, Double> samples = PrometheusNames.samples(get(port, "/metrics"));
        for (MeterCatalogue.Meter m : MeterCatalogue.of(role)) {
            List<Double> values = samples.entrySet().stream().filter(e -> PrometheusNames.owner(e.getKey()) == m)
                    .map(Map.Entry::getValue).toList();
            assertThat(values).as(m.name()).isNotEmpty().allMatch(v -> !v.isNaN());
        }
    }

    private static String get(MetricsEndpoint port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
