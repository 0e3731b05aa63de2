package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;

/** What the integration tests of a running trainer share: waiting for it, reading its dead letters. */
public final class TrainerRuns {

    private TrainerRuns() {
    }

    /**
     * Waits (at most {@code timeout}) until the trainer has seen {@code seen} records, trained or
     * rejected; fails at once when it failed for good.
     */
    public static ProgressiveMetrics.Summary await(TrainerApp app, long seen, AtomicReference<Throwable> fatal,
                                                   Duration timeout) throws Exception {
        return Await.until(timeout, Duration.ofMillis(100),
                () -> "the trainer seeing " + seen + " records (last " + app.summary() + ")",
                () -> assertThat(fatal.get()).isNull(),
                () -> {
                    var s = app.state() == KafkaStreams.State.RUNNING ? app.summary() : Optional.<ProgressiveMetrics.Summary>empty();
                    return s.isPresent() && s.get().events() + s.get().rejected() >= seen ? s.get() : null;
                });
    }

    /** The committed records of {@code topic} by key (UTF-8), once {@code expected} were read or after 60 s. */
    static Map<String, ConsumerRecord<byte[], byte[]>> readByKey(String bootstrap, String topic, int expected) {
        Map<String, ConsumerRecord<byte[], byte[]>> out = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of("bootstrap.servers", bootstrap, "group.id", "dlq-reader",
                "auto.offset.reset", "earliest", "isolation.level", "read_committed", "max.partition.fetch.bytes", 16 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(Set.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.put(new String(r.key(), StandardCharsets.UTF_8), r);
                }
            }
        }
        return out;
    }

    /** The last header {@code name} of {@code r} as UTF-8, or null. */
    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
