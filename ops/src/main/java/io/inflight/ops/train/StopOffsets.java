package io.inflight.ops.train;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a {@code train} that ends stops, per partition of the clicks topic: the offsets it starts
 * from (the consumer group's committed offsets, else the log start) and the offsets it stops at
 * (exclusive). {@link #reached} tells, from the group's committed offsets, when every record before
 * the stop offsets was processed and committed.
 *
 * @param start per partition, the offset the application resumes from
 * @param stop  per partition, the first offset not to train
 */
public record StopOffsets(Map<Integer, Long> start, Map<Integer, Long> stop) {

    private static final long TIMEOUT_S = 60;

    public StopOffsets {
        start = Map.copyOf(start);
        stop = Map.copyOf(stop);
    }

    /**
     * {@code --until-caught-up}: the end offsets {@code topic} has now, read committed (the last
     * stable offset: records of an open transaction are not waited for).
     */
    public static StopOffsets untilCaughtUp(Admin admin, String topic, int partitions, String groupId) {
        Map<Integer, Long> start = startOffsets(admin, topic, partitions, groupId);
        Map<Integer, Long> end = list(admin, topic, partitions, OffsetSpec.latest());
        Map<Integer, Long> stop = new HashMap<>();
        start.forEach((p, s) -> stop.put(p, Math.max(s, end.get(p))));
        return new StopOffsets(start, stop);
    }

    /**
     * {@code --max-events N}: the next {@code n} offsets of every partition from where the
     * application resumes (with one partition and no transaction markers in it, {@code n} records).
     */
    public static StopOffsets afterRecords(Admin admin, String topic, int partitions, String groupId, long n) {
        Map<Integer, Long> start = startOffsets(admin, topic, partitions, groupId);
        Map<Integer, Long> stop = new HashMap<>();
        start.forEach((p, s) -> stop.put(p, s + n));
        return new StopOffsets(start, stop);
    }

    /** Records between start and stop, over every partition (transaction markers included). */
    public long offsets() {
        return start.entrySet().stream().mapToLong(e -> stop.get(e.getKey()) - e.getValue()).sum();
    }

    /** Whether the group committed every partition's offsets up to its stop offset. */
    public boolean reached(Admin admin, String topic, String groupId) {
        Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata());
        for (Map.Entry<Integer, Long> e : stop.entrySet()) {
            if (e.getValue() <= start.get(e.getKey())) {
                continue;
            }
            OffsetAndMetadata c = committed.get(new TopicPartition(topic, e.getKey()));
            if (c == null || c.offset() < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static Map<Integer, Long> startOffsets(Admin admin, String topic, int partitions, String groupId) {
        Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata());
        Map<Integer, Long> earliest = list(admin, topic, partitions, OffsetSpec.earliest());
        Map<Integer, Long> start = new HashMap<>();
        earliest.forEach((p, e) -> {
            OffsetAndMetadata c = committed.get(new TopicPartition(topic, p));
            start.put(p, c == null ? e : Math.max(e, c.offset()));
        });
        return start;
    }

    private static Map<Integer, Long> list(Admin admin, String topic, int partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), spec);
        }
        Map<Integer, Long> out = new HashMap<>();
        get(admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all())
                .forEach((tp, info) -> out.put(tp.partition(), info.offset()));
        return out;
    }

    private static <T> T get(KafkaFuture<T> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading offsets failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("reading offsets took more than " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading offsets", e);
        }
    }
}
