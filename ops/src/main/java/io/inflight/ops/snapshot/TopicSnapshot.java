package io.inflight.ops.snapshot;

import io.inflight.ops.serve.ServingModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A snapshot taken from {@code <prefix>.model-updates}: the topic read from the beginning to its
 * end as of the start of the read (committed updates only, as a serving replica reads it) into a
 * {@link ServingModel}, which then holds exactly what a replica that followed the topic to those
 * offsets serves. Works while the trainer runs: it reflects the trainer's publications up to then.
 */
public final class TopicSnapshot {

    private TopicSnapshot() {
    }

    /**
     * Reads {@code topic} to its end into {@code model} and returns its snapshot.
     *
     * @throws IllegalStateException when the topic does not exist or the end is not reached within {@code timeout}
     */
    public static ModelSnapshot read(Map<String, Object> clientConfigs, String topic, ServingModel model,
                                     String applicationId, Map<String, String> shaping, Duration timeout) {
        Map<String, Object> p = new HashMap<>(clientConfigs);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", false);
        p.putIfAbsent("max.partition.fetch.bytes", 8 << 20);
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            if (parts.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts, Duration.ofSeconds(30)); // read_committed: the stable end
            long deadline = System.nanoTime() + timeout.toNanos();
            long applied = 0;
            while (!reached(c, ends)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("did not read " + topic + " to its end offsets " + ends + " within "
                            + timeout + " (" + applied + " records read)");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        model.apply(r.key(), r.value());
                        applied++;
                    }
                }
            }
            Map<Integer, Long> offsets = new TreeMap<>();
            ends.forEach((tp, o) -> offsets.put(tp.partition(), o));
            return model.snapshot(applicationId, shaping, topic, offsets);
        }
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
