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
import io.inflight.topics.RejectReason;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.topology.DeadLetters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A corpus of malformed records through the real topology on a real broker: each one lands in the
 * dead-letter topic with its original bytes and the right reason, the model does not change, and
 * training carries on afterwards.
 */
@Timeout(300)
class MalformedCorpusIT {

    private static final long NOW = System.currentTimeMillis();
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);

    /** Hand-written binary events, so that every byte can be wrong on purpose. */
    private static final class Bin {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Bin u8(int v) {
            out.write(v);
            return this;
        }

        Bin varlong(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Bin raw(byte... b) {
            out.writeBytes(b);
            return this;
        }

        Bin str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varlong(b.length);
            return raw(b);
        }

        Bin time(long t) {
            return varlong((t << 1) ^ (t >> 63));
        }

        /** version, no id, time, label. */
        static Bin head(long time, int label) {
            return new Bin().u8(1).u8(0).time(time).u8(label);
        }

        Bin f64(double d) {
            return raw(ByteBuffer.allocate(8).putDouble(d).array());
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static byte[] event(String id, long time, int label, List<ClickEvent.Field> fields, List<ClickEvent.Numeric> nums) {
        return CODEC.encode(new ClickEvent(id, time, label, fields, nums));
    }

    private static Map<String, Map.Entry<RejectReason, byte[]>> corpus() {
        Map<String, Map.Entry<RejectReason, byte[]>> c = new LinkedHashMap<>();
        List<ClickEvent.Field> ok = List.of(ClickEvent.Field.of("f0", "x"));
        byte[] good = event("g", NOW, 1, ok, List.of(new ClickEvent.Numeric("n", 1.0)));
        c.put("empty-value", Map.entry(RejectReason.EMPTY, new byte[0]));
        c.put("null-value", new AbstractMap.SimpleImmutableEntry<>(RejectReason.EMPTY, (byte[]) null));
        c.put("only-version-byte", Map.entry(RejectReason.TRUNCATED, new byte[] {1}));
        c.put("version-0", Map.entry(RejectReason.UNKNOWN_VERSION, withFirst(good, 0)));
        c.put("version-2", Map.entry(RejectReason.UNKNOWN_VERSION, withFirst(good, 2)));
        c.put("version-255", Map.entry(RejectReason.UNKNOWN_VERSION, withFirst(good, 255)));
        c.put("json-on-binary-topic", Map.entry(RejectReason.UNKNOWN_VERSION,
                "{\"label\":1,\"features\":{\"a\":\"b\"}}".getBytes(StandardCharsets.UTF_8)));
        c.put("truncated-in-double", Map.entry(RejectReason.TRUNCATED, Arrays.copyOf(good, good.length - 3)));
        c.put("truncated-in-string", Map.entry(RejectReason.TRUNCATED,
                Bin.head(NOW, 1).varlong(1).str("f0").varlong(1).varlong(10).raw((byte) 'a').bytes()));
        c.put("truncated-before-label", Map.entry(RejectReason.TRUNCATED, new Bin().u8(1).u8(0).time(NOW).bytes()));
        c.put("trailing-bytes", Map.entry(RejectReason.TRAILING_BYTES, concat(good, new byte[] {0, 0})));
        c.put("bad-utf8-value", Map.entry(RejectReason.BAD_UTF8,
                Bin.head(NOW, 1).varlong(1).str("f0").varlong(1).varlong(2).raw((byte) 0xC3, (byte) 0x28).varlong(0).bytes()));
        c.put("bad-utf8-name", Map.entry(RejectReason.BAD_UTF8,
                Bin.head(NOW, 1).varlong(1).varlong(1).raw((byte) 0xFF).varlong(1).str("v").varlong(0).bytes()));
        c.put("bad-utf8-id", Map.entry(RejectReason.BAD_UTF8,
                new Bin().u8(1).u8(1).varlong(2).raw((byte) 0xE2, (byte) 0x82).time(NOW).u8(1).varlong(0).varlong(0).bytes()));
        c.put("overlong-utf8", Map.entry(RejectReason.BAD_UTF8,
                Bin.head(NOW, 1).varlong(1).str("f0").varlong(1).varlong(2).raw((byte) 0xC0, (byte) 0x80).varlong(0).bytes()));
        c.put("utf8-surrogate", Map.entry(RejectReason.BAD_UTF8,
                Bin.head(NOW, 1).varlong(1).str("f0").varlong(1).varlong(3).raw((byte) 0xED, (byte) 0xA0, (byte) 0x80).varlong(0).bytes()));
        c.put("varint-too-long", Map.entry(RejectReason.BAD_SYNTAX, concat(new byte[] {1, 0},
                new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                        (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1})));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            many.add(Integer.toString(i));
        }
        c.put("100000-features", Map.entry(RejectReason.TOO_MANY_FEATURES,
                event(null, NOW, 0, List.of(new ClickEvent.Field("f0", many)), List.of())));
        c.put("huge-field-count", Map.entry(RejectReason.TOO_MANY_FEATURES, Bin.head(NOW, 0).varlong(1L << 31).bytes()));
        c.put("megabyte-value", Map.entry(RejectReason.STRING_TOO_LONG,
                event(null, NOW, 0, List.of(ClickEvent.Field.of("f0", "v".repeat(1_000_000))), List.of())));
        c.put("megabyte-name", Map.entry(RejectReason.STRING_TOO_LONG,
                event(null, NOW, 0, List.of(ClickEvent.Field.of("n".repeat(1_000_000), "v")), List.of())));
        c.put("label-7", Map.entry(RejectReason.BAD_LABEL, event(null, NOW, 7, ok, List.of())));
        c.put("label-255", Map.entry(RejectReason.BAD_LABEL, Bin.head(NOW, 255).varlong(1).str("f0").varlong(1).str("x").varlong(0).bytes()));
        c.put("numeric-nan", Map.entry(RejectReason.NON_FINITE, event(null, NOW, 1, ok, List.of(new ClickEvent.Numeric("n", Double.NaN)))));
        c.put("numeric-plus-infinity", Map.entry(RejectReason.NON_FINITE,
                event(null, NOW, 1, ok, List.of(new ClickEvent.Numeric("n", Double.POSITIVE_INFINITY)))));
        c.put("numeric-minus-infinity", Map.entry(RejectReason.NON_FINITE,
                event(null, NOW, 1, ok, List.of(new ClickEvent.Numeric("n", Double.NEGATIVE_INFINITY)))));
        c.put("negative-time", Map.entry(RejectReason.BAD_TIME, event(null, -1000, 1, ok, List.of())));
        c.put("far-future-time", Map.entry(RejectReason.BAD_TIME, event(null, NOW + 365L * 86_400_000L, 1, ok, List.of())));
        c.put("no-fields", Map.entry(RejectReason.NO_FEATURES, event(null, NOW, 1, List.of(), List.of())));
        c.put("field-without-values", Map.entry(RejectReason.NO_FEATURES,
                event(null, NOW, 1, List.of(new ClickEvent.Field("f0", List.of())), List.of())));
        c.put("only-numerics", Map.entry(RejectReason.NO_FEATURES,
                event(null, NOW, 1, List.of(), List.of(new ClickEvent.Numeric("n", 2.0)))));
        c.put("duplicated-field", Map.entry(RejectReason.DUPLICATE_FIELD,
                event(null, NOW, 1, List.of(ClickEvent.Field.of("f0", "a"), ClickEvent.Field.of("f0", "b")), List.of())));
        c.put("numeric-shadows-field", Map.entry(RejectReason.DUPLICATE_FIELD,
                event(null, NOW, 1, ok, List.of(new ClickEvent.Numeric("f0", 1.0)))));
        c.put("empty-field-name", Map.entry(RejectReason.EMPTY_NAME,
                event(null, NOW, 1, List.of(ClickEvent.Field.of("", "a")), List.of())));
        c.put("empty-numeric-name", Map.entry(RejectReason.EMPTY_NAME,
                event(null, NOW, 1, ok, List.of(new ClickEvent.Numeric("", 1.0)))));
        c.put("random-garbage", Map.entry(RejectReason.UNKNOWN_VERSION, new byte[] {(byte) 0x9A, 0x11, 0x42, 0x00, (byte) 0xEE}));
        return c;
    }

    @Test
    void shouldDeadLetterEveryMalformedRecordAndLeaveTheModelUnchanged() throws Exception {
        Map<String, Map.Entry<RejectReason, byte[]>> corpus = corpus();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(30);
        assertThat(corpus.values().stream().map(Map.Entry::getKey).distinct().count()).isGreaterThanOrEqualTo(13);

        ItFixtures.onBroker("corpus", (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, "corpus", dir.resolve("state"));
            raw.put(InflightConfig.MODEL_FIELDS, GeneratorSpec.defaults(2_000, 1).fieldNames());
            raw.put(InflightConfig.BATCH_SIZE, "100"); // divides 2,000: every good event is trained before the corpus
            InflightConfig cfg = InflightConfig.parse(raw);
            TrainerApp.ensureTopics(cfg);
            PrintStream quiet = ItFixtures.quiet();
            Generation.run(GeneratorSpec.defaults(2_000, 1), new TopicSink(cfg.kafkaClientConfigs(), "corpus.clicks"), quiet);

            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(cfg, fatal::set);
                 var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
                         "max.request.size", 8 << 20)), new ByteArraySerializer(), new ByteArraySerializer())) {
                ProgressiveMetrics.Summary before = TrainerRuns.await(app, 2_000, fatal, Duration.ofSeconds(120));
                String hashBefore = app.modelHash().orElseThrow();

                for (var e : corpus.entrySet()) {
                    producer.send(new ProducerRecord<>("corpus.clicks", e.getKey().getBytes(StandardCharsets.UTF_8),
                            e.getValue().getValue())).get();
                }
                ProgressiveMetrics.Summary after = TrainerRuns.await(app, 2_000 + corpus.size(), fatal,
                        Duration.ofSeconds(120));
                assertThat(after.rejected()).isEqualTo(corpus.size());
                assertThat(after.events()).isEqualTo(before.events());
                assertThat(app.modelHash()).contains(hashBefore);

                Map<String, ConsumerRecord<byte[], byte[]>> dead = TrainerRuns.readByKey(broker.bootstrapServers(), "corpus.dead-letter", corpus.size());
                assertThat(dead.keySet()).containsExactlyInAnyOrderElementsOf(corpus.keySet());
                for (var e : corpus.entrySet()) {
                    ConsumerRecord<byte[], byte[]> r = dead.get(e.getKey());
                    assertThat(TrainerRuns.header(r, DeadLetters.HEADER_REASON)).as(e.getKey()).isEqualTo(e.getValue().getKey().code());
                    assertThat(TrainerRuns.header(r, DeadLetters.HEADER_SOURCE_TOPIC)).isEqualTo("corpus.clicks");
                    assertThat(TrainerRuns.header(r, DeadLetters.HEADER_DETAIL)).isNotBlank();
                    assertThat(Long.parseLong(TrainerRuns.header(r, DeadLetters.HEADER_SOURCE_OFFSET))).isGreaterThanOrEqualTo(2_000);
                    byte[] original = e.getValue().getValue();
                    assertThat(r.value()).as(e.getKey()).isEqualTo(original == null ? null : original);
                }

                // Training carries on after the bad input.
                Generation.run(GeneratorSpec.defaults(1_000, 2), new TopicSink(cfg.kafkaClientConfigs(), "corpus.clicks"), quiet);
                ProgressiveMetrics.Summary resumed = TrainerRuns.await(app, 3_000 + corpus.size(), fatal, Duration.ofSeconds(120));
                assertThat(resumed.events()).isEqualTo(3_000);
                assertThat(app.modelHash()).isPresent().get().isNotEqualTo(hashBefore);
            }
        });
    }

    private static byte[] withFirst(byte[] b, int first) {
        byte[] c = b.clone();
        c[0] = (byte) first;
        return c;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
