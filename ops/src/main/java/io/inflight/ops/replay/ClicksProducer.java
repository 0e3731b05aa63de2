package io.inflight.ops.replay;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * An idempotent producer (enable.idempotence=true and acks=all are forced, whatever the client
 * configs say; one request in flight unless they say otherwise) for the clicks topic: replayed records and generated events. Record timestamps are left to the producer (append time): the
 * event time is in the payload, and historical times would fall outside retention at once. The first
 * send error fails the next {@link #send} or the {@link #close}: nothing is dropped silently.
 */
public final class ClicksProducer implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    public ClicksProducer(Map<String, Object> clientConfigs, String topic) {
        this(clientConfigs, topic, "inflight-replay");
    }

    /** As above; {@code clientId} is used unless the client configs name one. */
    public ClicksProducer(Map<String, Object> clientConfigs, String topic, String clientId) {
        Map<String, Object> p = inOrder(clientConfigs);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    /**
     * {@code clientConfigs} with one request in flight per broker unless they set it: with more, a write
     * right after the topic's creation can fail with NOT_LEADER_OR_FOLLOWER while the next is appended,
     * and its retries are then refused as out of sequence until delivery.timeout.ms (KAFKA-15591, seen
     * with the 4.3.1 broker). Every producer that may write to a topic just created takes its settings here.
     */
    public static Map<String, Object> inOrder(Map<String, Object> clientConfigs) {
        Map<String, Object> p = new HashMap<>(clientConfigs);
        p.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        return p;
    }

    public String topic() {
        return topic;
    }

    /** Sends one record asynchronously; {@code key} may be null. */
    public void send(byte[] key, byte[] value) {
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("writing to " + topic + " failed: " + e.getMessage(), e);
        }
        producer.send(new ProducerRecord<>(topic, null, key, value), (md, ex) -> {
            if (ex != null) {
                failure.compareAndSet(null, ex);
            }
        });
    }

    /** Waits until every record sent so far is acknowledged. */
    public void flush() {
        producer.flush();
        Exception e = failure.get();
        if (e != null) {
            throw new IllegalStateException("writing to " + topic + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            flush();
        } finally {
            producer.close();
        }
    }
}
