package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.topology.DeadLetters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The records that used to stop the mini-batch trainer for good, on a real broker: varints of -1
 * and 2^63+1, a 1,048,400-byte garbage value (its dead letter must still fit), and valid events
 * within the default limits of about 71 kB and 1 MB (their journal must still fit). Every one is
 * either trained or dead-lettered, every good event is trained, the trainer never fails, and a
 * restart re-applies the journal holding them to the same model, bit for bit.
 */
@Timeout(600)
class PoisonRecordsIT {

    private static final long NOW = System.currentTimeMillis();
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);

    private static byte[] varlong(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    /** version 1, flags, then (without an id) time and label. */
    private static ByteArrayOutputStream head(int flags) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(1);
        out.write(flags);
        if (flags == 0) {
            varlong(out, (NOW << 1) ^ (NOW >> 63));
            out.write(1);
        }
        return out;
    }

    private static Map<String, byte[]> bad() {
        Map<String, byte[]> c = new LinkedHashMap<>();
        c.put("id-length-minus-1", varlong(head(1), -1L));
        c.put("field-count-minus-1", varlong(head(0), -1L));
        ByteArrayOutputStream values = head(0);
        varlong(values, 1);
        varlong(values, 2);
        values.writeBytes("f0".getBytes(StandardCharsets.UTF_8));
        c.put("value-count-minus-1", varlong(values, -1L));
        c.put("field-count-2^63+1", varlong(head(0), Long.MIN_VALUE + 1));
        byte[] garbage = new byte[1_048_400];
        new SplittableRandom(4).nextBytes(garbage);
        garbage[0] = (byte) 0x9A;
        c.put("garbage-1048400", garbage);
        return c;
    }

    /** Valid events within the default limits (1,000 features, 1,024-byte strings). */
    private static List<byte[]> big() {
        SplittableRandom r = new SplittableRandom(5);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            List<String> vs = new ArrayList<>();
            for (int v = 0; v < 70; v++) {
                vs.add(Long.toHexString(r.nextLong()) + "v".repeat(1_003));
            }
            out.add(CODEC.encode(new ClickEvent("big" + i, NOW, i % 2, List.of(new ClickEvent.Field("f0", vs),
                    ClickEvent.Field.of("f1", "b" + i)), List.of())));
        }
        List<String> vs = new ArrayList<>();
        for (int v = 0; v < 999; v++) {
            vs.add(Integer.toString(v) + "w".repeat(990));
        }
        out.add(CODEC.encode(new ClickEvent("big-1000", NOW, 1, List.of(new ClickEvent.Field("f2", vs),
                ClickEvent.Field.of("f3", "x")), List.of())));
        return out;
    }

    @Test
    void shouldDeadLetterOrTrainEveryWorstRecordWithoutStoppingAndRestartToTheSameModel() throws Exception {
        Map<String, byte[]> bad = bad();
        List<byte[]> big = big();
        assertThat(big.get(big.size() - 1).length).isGreaterThan(990_000);
        ItFixtures.onBroker("poison", (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, "poison", dir.resolve("state"));
            raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
            raw.put(InflightConfig.BATCH_SIZE, "50");
            raw.put(InflightConfig.CHECKPOINT_INTERVAL_MS, "3600000"); // everything stays in the journal
            InflightConfig cfg = InflightConfig.parse(raw);
            TrainerApp.ensureTopics(cfg);
            PrintStream quiet = ItFixtures.quiet();
            Generation.run(GeneratorSpec.defaults(2_000, 1), new TopicSink(cfg.kafkaClientConfigs(), "poison.clicks"), quiet);

            AtomicReference<Throwable> fatal = new AtomicReference<>();
            String hash;
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
                         "max.request.size", 8 << 20)), new ByteArraySerializer(), new ByteArraySerializer())) {
                TrainerRuns.await(app, 2_000, fatal, Duration.ofSeconds(180));
                for (var e : bad.entrySet()) {
                    producer.send(new ProducerRecord<>("poison.clicks", e.getKey().getBytes(StandardCharsets.UTF_8),
                            e.getValue())).get();
                }
                for (byte[] b : big) {
                    producer.send(new ProducerRecord<>("poison.clicks", "big".getBytes(StandardCharsets.UTF_8), b)).get();
                }
                // 2,000 + 21 + 1,029 = 3,050 valid events: 61 whole batches
                Generation.run(GeneratorSpec.defaults(1_029, 2), new TopicSink(cfg.kafkaClientConfigs(), "poison.clicks"), quiet);
                ProgressiveMetrics.Summary after = TrainerRuns.await(app, 3_050 + bad.size(), fatal,
                        Duration.ofSeconds(180));
                assertThat(after.rejected()).isEqualTo(bad.size());
                assertThat(after.events()).as("every valid event trained").isEqualTo(3_050);
                assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
                hash = app.modelHash().orElseThrow();

                Map<String, ConsumerRecord<byte[], byte[]>> dead = TrainerRuns.readByKey(broker.bootstrapServers(),
                        "poison.dead-letter", bad.size());
                assertThat(dead.keySet()).containsExactlyInAnyOrderElementsOf(bad.keySet());
                ConsumerRecord<byte[], byte[]> g = dead.get("garbage-1048400");
                assertThat(TrainerRuns.header(g, "inflight.reject.truncated")).isEqualTo("value");
                assertThat(TrainerRuns.header(g, "inflight.reject.original.size")).isEqualTo("1048400");
                assertThat(g.value()).isEqualTo(Arrays.copyOf(bad.get("garbage-1048400"), g.value().length));
                for (String k : bad.keySet()) {
                    assertThat(TrainerRuns.header(dead.get(k), DeadLetters.HEADER_REASON)).as(k).isNotBlank();
                }
            }
            assertThat(fatal.get()).isNull();

            // a restart loads the checkpoint and re-applies the journal, which holds the big events in parts
            try (TrainerApp again = TrainerApp.start(cfg, fatal::set)) {
                ProgressiveMetrics.Summary s = TrainerRuns.await(again, 3_050 + bad.size(), fatal,
                        Duration.ofSeconds(180));
                assertThat(s.events()).isEqualTo(3_050);
                assertThat(again.modelHash()).contains(hash);
            }
            assertThat(fatal.get()).isNull();
        });
    }
}
