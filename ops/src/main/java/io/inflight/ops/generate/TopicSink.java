package io.inflight.ops.generate;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes events to a topic in the binary {@link EventCodec} format with an idempotent producer
 * (acks=all), keyed by event id so that partitioning is deterministic. The first send error fails
 * the next write or the close: nothing is dropped silently.
 */
public final class TopicSink implements EventSink {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    public TopicSink(Map<String, Object> clientConfigs, String topic) {
        Map<String, Object> p = new HashMap<>(clientConfigs);
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    @Override
    public void write(ClickEvent e) {
        rethrow();
        byte[] key = e.id() == null ? null : e.id().getBytes(StandardCharsets.UTF_8);
        // Record timestamp = append time: the event time is in the payload, and historical event times
        // would otherwise fall outside the topic's retention at once.
        producer.send(new ProducerRecord<>(topic, null, key, codec.encode(e)), (md, ex) -> {
            if (ex != null) {
                failure.compareAndSet(null, ex);
            }
        });
    }

    private void rethrow() {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("writing to " + topic + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            producer.flush();
        } finally {
            producer.close();
        }
        rethrow();
    }
}
