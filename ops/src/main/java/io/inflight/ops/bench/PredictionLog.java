package io.inflight.ops.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a predictions topic as committed ({@code read_committed}), on its own thread, from the
 * beginning: which events were scored (the generator's ids {@code e<i>}), how many twice, when the
 * first and the last arrived, and the scores with their labels for an exact AUC.
 * Close it to stop the thread.
 */
public final class PredictionLog implements AutoCloseable {

    private static final Pattern LINE = Pattern.compile("\\{\"id\":\"e(\\d+)\",\"time\":-?\\d+,\"label\":([01]),\"p\":([^}]+)}");

    private final Thread thread;
    private final BitSet seen = new BitSet();
    private volatile boolean stop;
    private volatile boolean atEnd;
    private long records;
    private long duplicates;
    private long unparsed;
    private long firstNanos;
    private long lastNanos;
    private double[] scores = new double[1 << 12];
    private byte[] labels = new byte[1 << 12];
    private Throwable failure;

    /** Starts reading {@code topic} (all its partitions) with the client settings {@code kafka}. */
    public PredictionLog(Map<String, Object> kafka, String topic) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        thread = new Thread(() -> read(c, topic), "prediction-log-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void read(Map<String, Object> config, String topic) {
        try (var consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            while (!stop) {
                var batch = consumer.poll(Duration.ofMillis(100));
                long now = System.nanoTime();
                if (batch.isEmpty()) {
                    // read_committed: the end offsets are the last stable offsets
                    Map<TopicPartition, Long> end = consumer.endOffsets(parts);
                    atEnd = parts.stream().allMatch(p -> consumer.position(p) >= end.get(p));
                } else {
                    atEnd = false;
                }
                synchronized (this) {
                    for (ConsumerRecord<byte[], byte[]> r : batch) {
                        add(new String(r.value(), StandardCharsets.UTF_8), now);
                    }
                }
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                failure = e;
            }
        }
    }

    private void add(String json, long now) {
        Matcher m = LINE.matcher(json);
        if (!m.matches()) {
            unparsed++;
            return;
        }
        int id = Integer.parseInt(m.group(1));
        if (seen.get(id)) {
            duplicates++;
        }
        seen.set(id);
        if (records == 0) {
            firstNanos = now;
        }
        lastNanos = now;
        if (records == scores.length) {
            scores = Arrays.copyOf(scores, scores.length * 2);
            labels = Arrays.copyOf(labels, labels.length * 2);
        }
        scores[(int) records] = Double.parseDouble(m.group(3));
        labels[(int) records] = (byte) (m.group(2).equals("1") ? 1 : 0);
        records++;
    }

    /** What was read so far. */
    public synchronized Snapshot snapshot() {
        if (failure != null) {
            throw new IllegalStateException("reading the predictions failed: " + failure, failure);
        }
        return new Snapshot(records, seen.cardinality(), duplicates, unparsed, firstNanos, lastNanos, (BitSet) seen.clone());
    }

    /** The exact AUC (ties counted half) of the scores read so far; NaN without both labels. */
    public synchronized double auc() {
        return auc(Arrays.copyOf(scores, (int) records), Arrays.copyOf(labels, (int) records));
    }

    /**
     * Polls until {@code distinct} different events were read (or {@code timeout}); runs {@code alive}
     * between polls, which throws when what writes them died.
     */
    public Snapshot await(long distinct, Duration timeout, Runnable alive) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Snapshot s = snapshot();
            if (s.distinct() >= distinct) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + s.distinct() + " of " + distinct + " events scored within "
                        + timeout.toSeconds() + " s");
            }
            alive.run();
            Thread.sleep(100);
        }
    }

    /** Polls until the reader has read every committed record (what is committed later is read too). */
    public Snapshot awaitEnd(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!atEnd) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the predictions were not read to their end within " + timeout.toSeconds()
                        + " s");
            }
            snapshot(); // throws when the reader failed
            Thread.sleep(100);
        }
        return snapshot();
    }

    /**
     * What was read: {@code records} predictions of {@code distinct} different events, {@code duplicates}
     * of them for an event read before; {@code unparsed} not in the predictions' format; arrival times
     * of the first and the last ({@link System#nanoTime}); which event indices were seen.
     */
    public record Snapshot(long records, long distinct, long duplicates, long unparsed, long firstNanos, long lastNanos,
                           BitSet ids) {

        /** Events per second between the first and the last prediction read. */
        public double eventsPerSecond() {
            return lastNanos > firstNanos ? (records - 1) / ((lastNanos - firstNanos) / 1e9) : Double.NaN;
        }
    }

    /** Exact ROC AUC by ranks, ties counted half; NaN when a label is missing. */
    static double auc(double[] scores, byte[] labels) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        double rankSum = 0;
        long positives = 0;
        for (int i = 0; i < n; ) {
            int j = i;
            while (j < n && scores[order[j]] == scores[order[i]]) {
                j++;
            }
            double rank = (i + 1 + j) / 2.0; // mean of ranks i+1..j
            for (int k = i; k < j; k++) {
                if (labels[order[k]] == 1) {
                    rankSum += rank;
                    positives++;
                }
            }
            i = j;
        }
        long negatives = n - positives;
        if (positives == 0 || negatives == 0) {
            return Double.NaN;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }
}
