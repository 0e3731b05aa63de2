package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.generate.TopicSink;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.MeterCatalogue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The quality gate on publication, on a generated stream with a label-noise burst (events 4,000 to
 * 5,500 with every label drawn at random): with the gate the trainer holds the publications while its
 * window AUC is down and publishes again once it recovers; without it, on the same events, it
 * publishes after every batch; and a trainer stopped in the middle of the burst and started again
 * holds exactly the same publications (the gate's state is part of the exactly-once state).
 */
@Timeout(300)
class PublicationGateIT {

    private static final int CLEAN = 4_000;
    private static final int NOISY = 1_500;
    private static final int AFTER = 3_500;
    private static final int TOTAL = CLEAN + NOISY + AFTER;
    private static final int BATCH = 50;

    @Test
    void shouldHoldPublicationsThroughALabelNoiseBurst() throws Exception {
        ItFixtures.onBroker("gate", (dir, broker) -> {
            InflightConfig gated = config(dir, broker, "gated", "0.05");
            InflightConfig open = config(dir, broker, "open", "0");
            InflightConfig restarted = config(dir, broker, "restarted", "0.05");
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            TreeSet<Long> withGate = run(gated, registry, TOTAL);
            TreeSet<Long> without = run(open, new SimpleMeterRegistry(), TOTAL);
            TreeSet<Long> afterRestart = run(restarted, new SimpleMeterRegistry(), CLEAN + NOISY / 2);

            List<Long> held = new ArrayList<>();
            for (long v = 1; v <= TOTAL / BATCH; v++) {
                if (!withGate.contains(v)) {
                    held.add(v);
                }
            }
            double heldCount = registry.get(MeterCatalogue.PUBLICATION_HELD).counter().count();
            System.out.printf("gate: %d of %d publications held, batches %s .. %s (noise in batches %d .. %d); counter %.0f%n",
                    held.size(), TOTAL / BATCH, held.isEmpty() ? "-" : held.get(0), held.isEmpty() ? "-" : held.get(held.size() - 1),
                    CLEAN / BATCH + 1, (CLEAN + NOISY) / BATCH, heldCount);
            assertThat(without).as("without a gate every batch is published").hasSize(TOTAL / BATCH);
            assertThat(held).as("publications held").hasSizeGreaterThanOrEqualTo(5);
            // held only once the noise is in the window, and released after it
            assertThat(held.get(0)).isGreaterThan(CLEAN / BATCH);
            assertThat(held.get(held.size() - 1)).isLessThan(TOTAL / BATCH);
            assertThat(withGate).contains((long) TOTAL / BATCH);
            assertThat(heldCount).isEqualTo(held.size());
            assertThat(registry.get(MeterCatalogue.PUBLICATION_GATE).gauge().value()).as("the gate open at the end").isZero();
            assertThat(afterRestart).as("published by a trainer restarted at event %d", CLEAN + NOISY / 2).isEqualTo(withGate);
        });
    }

    /**
     * Trains the stream on {@code cfg} and returns the dense versions (batch counts) published to
     * model-updates; the trainer is stopped after the first {@code stopAt} events and started again
     * when that is before the end.
     */
    private static TreeSet<Long> run(InflightConfig cfg, SimpleMeterRegistry registry, int stopAt) throws Exception {
        TrainerApp.ensureTopics(cfg);
        produce(cfg, 0, stopAt);
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        if (stopAt < TOTAL) {
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set, new SimpleMeterRegistry())) {
                TrainerRuns.await(app, stopAt, fatal, Duration.ofSeconds(180));
            }
            produce(cfg, stopAt, TOTAL);
        }
        try (TrainerApp app = TrainerApp.start(cfg, fatal::set, registry)) {
            TrainerRuns.await(app, TOTAL, fatal, Duration.ofSeconds(180));
            return denseVersions(cfg, TOTAL / BATCH);
        }
    }

    /** Events {@code [from, to)} of the stream (clean, the burst, clean) into the clicks topic. */
    private static void produce(InflightConfig cfg, int from, int to) {
        try (TopicSink sink = new TopicSink(cfg.kafkaClientConfigs(), cfg.topics().clicks())) {
            int i = 0;
            for (double noise : new double[] {0, 0.5, 0}) {
                int n = noise > 0 ? NOISY : i == 0 ? CLEAN : AFTER;
                SyntheticStream stream = new SyntheticStream(spec(i + n, noise));
                while (stream.hasNext()) {
                    var e = stream.nextEvent();
                    if (stream.index() > Math.max(i, from) && stream.index() <= to) {
                        sink.write(e);
                    }
                }
                i += n;
            }
        }
    }

    private static GeneratorSpec spec(long events, double noise) {
        GeneratorSpec d = GeneratorSpec.defaults(events, 3);
        return new GeneratorSpec(d.events(), d.cardinalities(), d.zipfExponents(), d.latentDim(), d.targetCtr(), noise,
                d.driftAt(), d.seed(), d.startTimeMs(), d.intervalMs());
    }

    /** The model versions of the dense updates in model-updates, read until {@code last} is among them. */
    private static TreeSet<Long> denseVersions(InflightConfig cfg, long last) throws Exception {
        Map<String, Object> p = new HashMap<>(cfg.kafkaClientConfigs());
        p.put("isolation.level", "read_committed");
        TreeSet<Long> out = new TreeSet<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(cfg.topics().modelUpdates(), Duration.ofSeconds(30))
                    .forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Await.until(Duration.ofSeconds(60), Duration.ofMillis(10), () -> "dense version " + last + " (have " + out.size() + ")",
                    () -> { },
                    () -> {
                        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                            if (ModelUpdateCodec.parseKey(r.key()).kind() == ModelUpdateCodec.Kind.DENSE && r.value() != null) {
                                out.add(ByteBuffer.wrap(r.value()).getInt(2) & 0xFFFFFFFFL);
                            }
                        }
                        return out.contains(last) ? Boolean.TRUE : null;
                    });
        }
        return out;
    }

    /** FM, batch 50, a publication after every batch (none by time), a window of 500 events; the AUC gate at {@code drop}. */
    private static InflightConfig config(Path dir, EmbeddedBroker broker, String prefix, String drop) {
        Map<String, String> raw = ItFixtures.trainerSettings(broker, prefix, dir.resolve("state-" + prefix));
        raw.put(InflightConfig.APPLICATION_ID, prefix + "-app");
        raw.put(InflightConfig.MODEL_TYPE, "fm");
        raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
        raw.put(InflightConfig.BATCH_SIZE, "" + BATCH);
        raw.put(InflightConfig.PUBLISH_EVERY, "1");
        raw.put(InflightConfig.PUBLISH_INTERVAL_MS, "0");
        raw.put(InflightConfig.WINDOW_EVENTS, "500");
        raw.put(InflightConfig.GATE_AUC_DROP, drop);
        raw.put(InflightConfig.GATE_MIN_EVENTS, "500");
        return InflightConfig.parse(raw);
    }
}
