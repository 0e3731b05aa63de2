package io.inflight.trainer.topology;

import io.inflight.policies.Precision;
import io.inflight.store.RowSink;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What the trainer's topology tests share: the test driver and its clicks input, a small FM's batch
 * settings, a small learnable stream, a reader of the journal, and readers of the trainer's stores in
 * a test driver (progressive metrics, rows).
 */
final class TopologyFixtures {

    private TopologyFixtures() {
    }

    /** A test driver of {@code topology} as application {@code appId}, exactly-once, state in {@code stateDir}. */
    static TopologyTestDriver driver(Topology topology, String appId, Path stateDir, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.putAll(extra);
        return new TopologyTestDriver(topology, p);
    }

    /** The driver's input of raw click records. */
    static TestInputTopic<byte[], byte[]> clicks(TopologyTestDriver driver, TopicCatalogue topics) {
        return driver.createInputTopic(topics.clicks(), Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    }

    /** An FM over fields {@code ad} and {@code user}, D = 4, in batches of {@code size}, publishing every {@code publishEvery}. */
    static BatchSettings batch(int size, int publishEvery) {
        return new BatchSettings("fm", List.of("ad", "user"), 4, size, List.of(8), "relu", "adam", 1e-3, 0.1, 0,
                0.01, 7, publishEvery);
    }

    /** {@code n} events over fields {@code ad} (20 values, half of them mostly clicked) and {@code user} (50 values). */
    static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(20);
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, r.nextDouble() < (ad < 10 ? 0.8 : 0.1) ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + r.nextInt(50))),
                    List.of()));
        }
        return out;
    }

    /**
     * The journal's entries in order: an event's raw record length, or a mark ({@link Journal#REJECTED},
     * {@link Journal#PUBLISH_MARK}, {@link Journal#FINISH_MARK}, whose stop offset is left out); forwarded-jobs
     * marks are left out.
     */
    static List<Integer> journalEntries(KeyValueStore<Long, byte[]> journal) {
        List<Integer> out = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream(); // entries may span records
        try (var it = journal.all()) {
            it.forEachRemaining(kv -> all.writeBytes(kv.value));
        }
        ByteBuffer b = ByteBuffer.wrap(all.toByteArray());
        while (b.hasRemaining()) {
            int n = b.getInt();
            if (n == Journal.FORWARDED_MARK) { // how many batches' outputs were forwarded by then
                b.getLong();
                continue;
            }
            out.add(n);
            b.position(b.position() + (n == Journal.FINISH_MARK ? 8 : Math.max(0, n)));
        }
        return out;
    }

    /** The progressive metrics the trainer's state store holds. */
    static ProgressiveMetrics.Summary summary(TopologyTestDriver driver, int aucBins) {
        return TrainerStateStore.loadMetrics(driver.getKeyValueStore(TrainerStateStore.STATE), aucBins).summary();
    }

    /** Every stored row: its D = 4 values, then its linear weight. */
    static Map<Long, float[]> rows(TopologyTestDriver driver) {
        return rows(driver, TrainerStateStore.EMBEDDINGS);
    }

    /** As above, of the embedding store {@code name} (e.g. a shard's). */
    static Map<Long, float[]> rows(TopologyTestDriver driver, String name) {
        EmbeddingStateStore store = (EmbeddingStateStore) driver.getStateStore(name);
        Map<Long, float[]> out = new HashMap<>();
        store.store().snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                float[] r = Arrays.copyOf(values, 5);
                r[4] = linear;
                out.put(key, r);
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("a snapshot has no tombstones");
            }
        });
        return out;
    }
}
