package io.inflight.trainer.topology;

import static io.inflight.trainer.topology.TopologyFixtures.batch;
import static io.inflight.trainer.topology.TopologyFixtures.clicks;
import static io.inflight.trainer.topology.TopologyFixtures.driver;
import static io.inflight.trainer.topology.TopologyFixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicySettings;
import io.inflight.store.ChunkLayout;
import io.inflight.store.StoreConfig;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.MeterCatalogue;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;

/** Every trainer meter of the catalogue gets a value after a few batches, and the sampled table adds up. */
class TrainerGaugesTest extends TopologyDriverTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("g", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);

    /** Runs {@code fn} on another thread while the driver's wall clock moves (the tasks serve calls from a punctuation). */
    private <T> T whileTicking(Supplier<T> fn) {
        CompletableFuture<T> answer = CompletableFuture.supplyAsync(fn);
        while (!answer.isDone()) {
            driver.advanceWallClockTime(Duration.ofMillis(60));
            Thread.onSpinWait();
        }
        return answer.join();
    }

    @Test
    void shouldGiveEveryTrainerMeterOfTheCatalogueAValueAfterAFewBatches() {
        BatchSettings b = batch(8, 5); // a publication every 5 batches
        StoreConfig full = BatchTrainer.fullPrecision(b, 1 << 16);
        StoreConfig chunked = new StoreConfig(ChunkLayout.of(2, 2), full.defaultPrecision(), full.hotCapacity(), full.seed(),
                full.learningRate(), full.l2(), full.adagradEps(), full.utility(), full.newRowInit(), full.initScale());
        PolicySettings policy = PolicySettings.defaults().with(PolicySettings.MODE, "all")
                .with(PolicySettings.INTERVAL_STEPS, "5").with(PolicySettings.BUDGET_BYTES, "3000");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TrainerMeters meters = TrainerMeters.on(registry);
        // commits write the journal until it holds 4 kB, then a checkpoint
        driver = driver(TrainerTopology.build(TOPICS, TrainerSettings.defaults(), b, chunked, policy,
                new CadenceSettings(3_600_000, 4_096, 0), s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                meters), "gauges-test", stateDir, Map.of());
        TrainerGauges gauges = new TrainerGauges("gauges-test", 1, 2, 3000, meters, registry);
        TestInputTopic<byte[], byte[]> in = clicks(driver, TOPICS);

        stream(800, 3).forEach(e -> in.pipeInput(CODEC.encode(e)));
        in.pipeInput(new byte[] {42}); // dead-lettered
        Map<String, Double> first = whileTicking(() -> gauges.sample(Duration.ofSeconds(30))).orElseThrow();
        stream(400, 4).forEach(e -> in.pipeInput(CODEC.encode(e)));
        Map<String, Double> second = whileTicking(() -> gauges.sample(Duration.ofSeconds(30))).orElseThrow();

        assertThat(first.get("events")).isEqualTo(800.0);
        assertThat(second.get("events")).isEqualTo(1200.0);
        assertThat(second.get("events.rate")).isPositive(); // from the events between the two samples
        for (MeterCatalogue.Meter m : MeterCatalogue.of(MeterCatalogue.Role.TRAIN)) {
            Collection<Meter> found = registry.find(m.name()).meters();
            assertThat(found).as(m.name()).isNotEmpty();
            for (Meter meter : found) {
                String id = meter.getId().toString();
                if (meter instanceof Gauge g) {
                    assertThat(g.value()).as(id).isFinite();
                } else if (meter instanceof Timer t) {
                    assertThat(t.count()).as(id).isPositive();
                } else if (meter instanceof DistributionSummary s) {
                    assertThat(s.count()).as(id).isPositive();
                } else if (meter instanceof Counter c) {
                    assertThat(c.count()).as(id).isNotNegative();
                } else {
                    throw new AssertionError("unexpected meter " + id);
                }
            }
        }
        assertThat(registry.get(MeterCatalogue.EVENTS).counter().count()).isEqualTo(1200.0);
        assertThat(registry.get(MeterCatalogue.REJECTED).tag("reason", "truncated").counter().count()
                + registry.get(MeterCatalogue.REJECTED).tag("reason", "unknown-version").counter().count()).isEqualTo(1.0);
        assertThat(registry.find(MeterCatalogue.POLICY_ACTIONS).counters().stream().mapToDouble(Counter::count).sum())
                .isPositive();
        assertThat(meters.recentPasses()).isNotEmpty().hasSizeLessThanOrEqualTo(TrainerMeters.RECENT_PASSES);

        // the sampled table adds up: tiers and shared rows are the table's bytes; rows by chunks are its rows
        TableStats t = whileTicking(() -> TrainerTasks.tableStats("gauges-test", Duration.ofSeconds(30))).orElseThrow();
        assertThat(second.get("bytes.hot") + second.get("bytes.cold") + second.get("shared.bytes")).isEqualTo((double) t.bytes());
        double rows = 0;
        double bytes = 0;
        for (int c = 0; c <= 2; c++) {
            rows += second.get("rows.chunks." + c);
            bytes += second.get("bytes.chunks." + c);
        }
        assertThat(rows).isEqualTo((double) t.rows()).isPositive();
        assertThat(bytes + second.get("shared.bytes")).isEqualTo((double) t.bytes());
        assertThat(registry.get(MeterCatalogue.AUC).tag(MeterCatalogue.SCOPE, "stream").gauge().value())
                .isEqualTo(second.get("auc")).isGreaterThan(0.5);
    }
}
