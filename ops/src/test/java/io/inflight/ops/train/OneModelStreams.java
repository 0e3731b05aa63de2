package io.inflight.ops.train;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.TopicAdmin;
import io.inflight.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** What the one-model integration tests share: a generated stream with malformed records, readers of output topics. */
final class OneModelStreams {

    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]*)\"");

    private OneModelStreams() {
    }

    /**
     * Creates {@code prefix}.* with {@code partitions} partitions and writes the generated stream of
     * {@code events} events (seed 3) to its clicks topic, record i to partition i mod partitions,
     * with {@code malformed} undecodable records spread evenly among them.
     */
    static void produce(EmbeddedBroker broker, String prefix, int partitions, int events, int malformed) {
        TopicCatalogue topics = new TopicCatalogue(prefix, partitions, (short) 1);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            TopicAdmin.ensureTopics(admin, topics.specs(), 60_000);
        }
        produce(broker, topics.clicks(), partitions, 0, events, malformed);
    }

    /** Writes events {@code from} (inclusive) to {@code to} of the generated stream, as above. */
    static void produce(EmbeddedBroker broker, String clicks, int partitions, int from, int to, int malformed) {
        EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
        int every = malformed == 0 ? Integer.MAX_VALUE : (to - from) / malformed;
        // one request in flight, not idempotent: a write right after the topic's creation may meet
        // NOT_LEADER_OR_FOLLOWER, and its retry must neither reorder nor be refused as out of sequence
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
                "enable.idempotence", "false", "acks", "all", "max.in.flight.requests.per.connection", 1),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            SyntheticStream s = new SyntheticStream(GeneratorSpec.defaults(to, 3));
            int record = 0;
            for (int i = 0; s.hasNext(); i++) {
                byte[] event = codec.encode(s.nextEvent());
                if (i < from) {
                    continue;
                }
                if ((i - from) % every == every / 2) {
                    sent.add(producer.send(new ProducerRecord<>(clicks, record++ % partitions, null,
                            ("malformed " + i).getBytes(StandardCharsets.UTF_8))));
                }
                sent.add(producer.send(new ProducerRecord<>(clicks, record++ % partitions, null, event)));
            }
        }
        try {
            for (Future<RecordMetadata> f : sent) {
                f.get(); // every record written, or the test fails here
            }
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("writing " + clicks + " failed", e);
        }
    }

    /** Every committed record of {@code topic}, from its start to its end offsets now. */
    static void readAll(EmbeddedBroker broker, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers(),
                "isolation.level", "read_committed", "max.partition.fetch.bytes", 16 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("reading " + topic + " to " + end + " took more than 120 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(each);
            }
        }
    }

    /** The committed records of {@code topic}. */
    static long count(EmbeddedBroker broker, String topic) {
        AtomicLong n = new AtomicLong();
        readAll(broker, topic, r -> n.incrementAndGet());
        return n.get();
    }

    /** The event ids of the committed predictions of {@code topic}, in the order read. */
    static List<String> predictionIds(EmbeddedBroker broker, String topic) {
        List<String> ids = new ArrayList<>();
        readAll(broker, topic, r -> {
            Matcher m = ID.matcher(new String(r.value(), StandardCharsets.UTF_8));
            if (!m.find()) {
                throw new AssertionError("a prediction without an id: " + new String(r.value(), StandardCharsets.UTF_8));
            }
            ids.add(m.group(1));
        });
        return ids;
    }
}
