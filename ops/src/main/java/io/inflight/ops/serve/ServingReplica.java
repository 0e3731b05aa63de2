package io.inflight.ops.serve;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows {@code <prefix>.model-updates} from the beginning with a read-committed consumer (so it
 * sees only what the trainer committed) and applies every record to a {@link ServingModel}.
 * Freshness is measured per record as apply time minus the record's timestamp (the moment the
 * trainer published it). One daemon thread; {@link #close()} stops it.
 */
public final class ServingReplica implements AutoCloseable {

    private final ServingModel model;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong lastTimestamp = new AtomicLong(-1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final long[] lagMs = new long[4096];
    private long lagCount;
    private volatile boolean running = true;
    private volatile LongConsumer onFreshness = ms -> { };

    private ServingReplica(ServingModel model) {
        this.model = model;
        this.consumer = null;
        this.thread = null;
    }

    /**
     * A replica that follows no topic: serves {@code model} as its caller fills it through
     * {@link ServingModel#apply} (benchmarks and tests of the HTTP front without a broker).
     */
    public static ServingReplica detached(ServingModel model) {
        return new ServingReplica(model);
    }

    public ServingReplica(Map<String, Object> clientConfigs, String topic, ServingModel model) {
        this(clientConfigs, topic, model, Map.of());
    }

    /**
     * A replica whose model already holds the topic up to {@code startOffsets} (per partition: the
     * next offset to read, e.g. a snapshot's), following it from there; partitions not named are read
     * from the beginning.
     */
    public ServingReplica(Map<String, Object> clientConfigs, String topic, ServingModel model,
                          Map<Integer, Long> startOffsets) {
        this.model = model;
        Map<String, Object> p = new HashMap<>(clientConfigs);
        p.put("isolation.level", "read_committed");
        p.put("enable.auto.commit", false);
        p.put("auto.offset.reset", "earliest");
        p.putIfAbsent("max.partition.fetch.bytes", 8 << 20);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
        if (parts.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + topic + " does not exist");
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        for (TopicPartition tp : parts) {
            Long start = startOffsets.get(tp.partition());
            if (start != null) {
                consumer.seek(tp, start);
            }
        }
        this.thread = new Thread(this::loop, "inflight-serving-replica");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    model.apply(r.key(), r.value());
                    applied.incrementAndGet();
                    lastTimestamp.set(r.timestamp());
                    recordLag(System.currentTimeMillis() - r.timestamp());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure.set(e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void recordLag(long ms) {
        synchronized (this) {
            lagMs[(int) (lagCount++ % lagMs.length)] = ms;
        }
        onFreshness.accept(ms);
    }

    /** Also reports the freshness of every update applied from now on to {@code listener} (the replica's thread). */
    public void onFreshness(LongConsumer listener) {
        onFreshness = listener;
    }

    /** Freshness of the last 4,096 applied updates: {p50, p99, max} in milliseconds. */
    public synchronized long[] lagPercentiles() {
        int n = (int) Math.min(lagCount, lagMs.length);
        if (n == 0) {
            return new long[] {-1, -1, -1};
        }
        long[] sorted = Arrays.copyOf(lagMs, n);
        Arrays.sort(sorted);
        return new long[] {sorted[n / 2], sorted[Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1)], sorted[n - 1]};
    }

    public long applied() {
        return applied.get();
    }

    /** Publish time of the last applied update, ms since the epoch (-1: none yet). */
    public long lastUpdateTimestamp() {
        return lastTimestamp.get();
    }

    /** The error that stopped the replica, if any. */
    public Throwable failure() {
        return failure.get();
    }

    public ServingModel model() {
        return model;
    }

    @Override
    public void close() {
        running = false;
        if (consumer == null) {
            return;
        }
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
