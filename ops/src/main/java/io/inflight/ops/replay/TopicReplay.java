package io.inflight.ops.replay;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Topic → topic replay: copies the records of a source topic, from an offset (the same in every
 * partition) or from a timestamp, up to the end offsets seen at the start, into the clicks topic, so
 * that a backfill goes through the same topology as live traffic. Keys and values are copied byte for
 * byte (the format is whatever the source holds). Reads with {@code read_committed} and without a
 * consumer group (nothing is committed). Within a partition order is kept; partitions are interleaved
 * as polled.
 */
public final class TopicReplay {

    /** Where to start: exactly one of the two is non-null. */
    public record Start(Long offset, Long timestampMs) {
        public Start {
            if ((offset == null) == (timestampMs == null)) {
                throw new IllegalArgumentException("give exactly one of --from-offset and --from-timestamp");
            }
            if (offset != null && offset < 0) {
                throw new IllegalArgumentException("--from-offset must be >= 0, got " + offset);
            }
        }
    }

    private TopicReplay() {
    }

    public static ReplaySummary run(Map<String, Object> clientConfigs, String fromTopic, Start start, ClicksProducer out,
            Pacer pacer, long progressIntervalNanos, PrintStream progress, BooleanSupplier stop) {
        if (fromTopic.equals(out.topic())) {
            throw new IllegalArgumentException("--from-topic " + fromTopic + " is the target topic itself");
        }
        Map<String, Object> c = new HashMap<>(clientConfigs);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        long t0 = System.nanoTime();
        long produced = 0;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        boolean stopped = false;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(fromTopic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("--from-topic " + fromTopic + " does not exist");
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            consumer.assign(parts);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<TopicPartition, OffsetAndTimestamp> byTime = start.timestampMs() == null ? Map.of()
                    : consumer.offsetsForTimes(toTimes(parts, start.timestampMs()));
            long total = 0;
            for (TopicPartition tp : parts) {
                long from;
                if (start.offset() != null) {
                    from = Math.max(begin.get(tp), Math.min(start.offset(), end.get(tp)));
                } else {
                    OffsetAndTimestamp o = byTime.get(tp);
                    from = o == null ? end.get(tp) : o.offset();
                }
                consumer.seek(tp, from);
                total += end.get(tp) - from;
            }
            progress.printf(Locale.ROOT, "Replaying %,d records from %s (%d partitions) to %s%n", total, fromTopic, parts.size(), out.topic());
            long nextPrint = t0 + progressIntervalNanos;
            while (!done(consumer, parts, end)) {
                if (stop.getAsBoolean()) {
                    stopped = true;
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    if (firstTime == Long.MIN_VALUE) {
                        firstTime = r.timestamp();
                    }
                    long wait = pacer.waitNanos(produced, r.timestamp(), firstTime, t0, System.nanoTime());
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    out.send(r.key(), r.value());
                    produced++;
                    lastTime = r.timestamp();
                }
                long now = System.nanoTime();
                if (progressIntervalNanos > 0 && now >= nextPrint && produced > 0) {
                    double fraction = total == 0 ? 1 : (double) produced / total;
                    progress.println(LogReplay.progressLine(produced, 0, now - t0, produced / ((now - t0) / 1e9), fraction, lastTime));
                    nextPrint = now + progressIntervalNanos;
                }
            }
        }
        out.flush();
        return new ReplaySummary(produced, 0, 0, 0, System.nanoTime() - t0, lastTime, stopped);
    }

    private static Map<TopicPartition, Long> toTimes(List<TopicPartition> parts, long ts) {
        Map<TopicPartition, Long> m = new HashMap<>();
        parts.forEach(p -> m.put(p, ts));
        return m;
    }

    private static boolean done(KafkaConsumer<?, ?> consumer, List<TopicPartition> parts, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : parts) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }
}
