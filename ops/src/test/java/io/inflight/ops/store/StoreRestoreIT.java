package io.inflight.ops.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.CounterRng;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.store.streams.EmbeddingStores;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.FloatDeserializer;
import org.apache.kafka.common.serialization.FloatSerializer;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedding state store on a real broker under exactly-once: a child JVM trains rows, commits,
 * trains more without committing, and is SIGKILLed; a new instance on the same state directory
 * restores, and the rows it sees are bit-identical to the committed ones (replayed in memory).
 */
@Timeout(300)
class StoreRestoreIT {

    static final String TOPIC = "store-it.grads";
    static final String APP = "store-restore-it";
    static final String STORE = "it-embeddings";
    static final int COMMITTED = 3_000;
    static final int UNCOMMITTED = 500;
    static final StoreConfig CONFIG = StoreConfig.defaults(ChunkLayout.of(4, 4, 8)).withPrecision(Precision.INT8)
            .withHotCapacity(64).withSeed(7).withInit(ChunkInit.RANDOM, 0.05f);

    static long key(long i) {
        return (CounterRng.bits(1, i, 0) >>> 1) % 500;
    }

    static float value(long i) {
        return CounterRng.unit(CounterRng.bits(2, i, 0)) - 0.5f;
    }

    /** What the processor does with record {@code step}: a gradient step and, now and then, a policy operation. */
    static void apply(EmbeddingStore rows, long key, float value, long step) {
        float[] g = new float[rows.stride()];
        for (int j = 0; j < g.length; j++) {
            g[j] = value * 0.1f * (1 + j % 3);
        }
        rows.scatter(new long[] {key}, null, 1, g, step);
        if (step % 50 == 7) {
            rows.setPrecision(key, 1, Precision.INT4);
        }
        if (step % 50 == 13) {
            rows.pruneChunk(key, 2);
        }
        if (step % 50 == 29) {
            rows.allocateChunk(key, 2, ChunkInit.RANDOM);
        }
        if (step % 97 == 5) {
            rows.evictRow(key);
        }
    }

    /** A record with a NaN value asks for a commit; every other one is applied. */
    static final class RowWriter implements Processor<Long, Float, Void, Void> {
        private final Consumer<EmbeddingStore> onInit;
        private final boolean log;
        private ProcessorContext<Void, Void> context;
        private EmbeddingStore rows;

        RowWriter(Consumer<EmbeddingStore> onInit, boolean log) {
            this.onInit = onInit;
            this.log = log;
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            this.context = context;
            this.rows = context.<EmbeddingStateStore>getStateStore(STORE).store();
            onInit.accept(rows);
        }

        @Override
        public void process(Record<Long, Float> record) {
            long offset = context.recordMetadata().orElseThrow().offset();
            if (Float.isNaN(record.value())) {
                context.commit();
            } else {
                apply(rows, record.key(), record.value(), offset);
            }
            if (log) {
                System.out.println("processed " + offset);
                System.out.flush();
            }
        }
    }

    static Topology topology(Consumer<EmbeddingStore> onInit, boolean log) {
        Topology t = new Topology();
        t.addSource("in", new LongDeserializer(), new FloatDeserializer(), TOPIC);
        t.addProcessor("writer", () -> new RowWriter(onInit, log), "in");
        t.addStateStore(EmbeddingStores.builder(STORE, CONFIG), "writer");
        return t;
    }

    static Properties props(String bootstrap, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // Commits only when the processor asks (the test's uncommitted phase takes a few seconds).
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "60000");
        p.put(StreamsConfig.producerPrefix("transaction.timeout.ms"), "120000");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), "store-it-instance");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        return p;
    }

    /** The child: runs the application until it is killed. Args: bootstrap servers, state directory. */
    public static void main(String[] args) throws InterruptedException {
        KafkaStreams streams = new KafkaStreams(topology(rows -> { }, true), props(args[0], Path.of(args[1])));
        streams.start();
        Thread.sleep(Long.MAX_VALUE);
    }

    @Test
    void shouldRestoreExactlyTheCommittedRowsAfterAKill() throws Exception {
        Path dir = ItFixtures.workDir("store-restore");
        Path stateDir = dir.resolve("state");
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 0)) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
            }
            try (var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers", bootstrap)),
                    new LongSerializer(), new FloatSerializer())) {
                for (int i = 0; i < COMMITTED; i++) {
                    producer.send(new ProducerRecord<>(TOPIC, key(i), value(i)));
                }
                producer.send(new ProducerRecord<>(TOPIC, 0L, Float.NaN)).get();
            }

            Path log = dir.resolve("child.log");
            Process child = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                    "-Xmx512m", "-cp", System.getProperty("java.class.path"), StoreRestoreIT.class.getName(), bootstrap,
                    stateDir.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitCommitted(bootstrap, COMMITTED + 1, child, log);
                try (var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers",
                        bootstrap)), new LongSerializer(), new FloatSerializer())) {
                    for (int i = COMMITTED + 1; i <= COMMITTED + UNCOMMITTED; i++) {
                        producer.send(new ProducerRecord<>(TOPIC, key(i), value(i)));
                    }
                    producer.flush();
                }
                awaitLogLine(log, "processed " + (COMMITTED + UNCOMMITTED), child);
                assertThat(committed(bootstrap)).isEqualTo(COMMITTED + 1);
            } finally {
                child.destroyForcibly(); // SIGKILL: no clean close, no checkpoint, an open transaction
                child.waitFor(30, TimeUnit.SECONDS);
            }

            EmbeddingStore expected = EmbeddingStore.inMemory("replay", CONFIG.withHotCapacity(10_000));
            for (int i = 0; i < COMMITTED; i++) {
                apply(expected, key(i), value(i), i);
            }
            EmbeddingStore uncommitted = EmbeddingStore.inMemory("replay-all", CONFIG.withHotCapacity(10_000));
            for (int i = 0; i <= COMMITTED + UNCOMMITTED; i++) {
                if (i != COMMITTED) {
                    apply(uncommitted, key(i), value(i), i);
                }
            }

            AtomicReference<String> restored = new AtomicReference<>();
            AtomicReference<Long> restoredRows = new AtomicReference<>();
            AtomicReference<Integer> restoredChanged = new AtomicReference<>();
            KafkaStreams streams = new KafkaStreams(topology(rows -> {
                if (restored.get() == null) {
                    restoredRows.set(rows.rowCount());
                    restoredChanged.set(rows.changedCount());
                    restored.set(HexFormat.of().formatHex(rows.digest()));
                }
            }, false), props(bootstrap, stateDir));
            try {
                streams.start();
                Await.until(Duration.ofSeconds(120), Duration.ofMillis(100), () -> "the store restored",
                        () -> { }, restored::get);
            } finally {
                streams.close(Duration.ofSeconds(30));
            }
            assertThat(restored.get()).as("restored store digest").isNotNull()
                    .isEqualTo(HexFormat.of().formatHex(expected.digest()))
                    .isNotEqualTo(HexFormat.of().formatHex(uncommitted.digest()));
            assertThat(restoredRows.get()).isEqualTo(expected.rowCount()).isPositive();
            assertThat(restoredChanged.get()).isEqualTo(expected.changedCount());
        }
    }

    private static long committed(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata()
                    .get(10, TimeUnit.SECONDS).get(new TopicPartition(TOPIC, 0));
            return o == null ? 0 : o.offset();
        }
    }

    private static void awaitCommitted(String bootstrap, long offset, Process child, Path log) throws Exception {
        Await.until(Duration.ofSeconds(120), Duration.ofMillis(100), () -> "committed offset " + offset + "; see " + log,
                () -> assertThat(child.isAlive()).as("child alive; see %s", log).isTrue(),
                () -> committed(bootstrap) >= offset ? Boolean.TRUE : null);
    }

    private static void awaitLogLine(Path log, String line, Process child) throws Exception {
        Await.until(Duration.ofSeconds(120), Duration.ofMillis(100), () -> "'" + line + "'; see " + log,
                () -> assertThat(child.isAlive()).as("child alive; see %s", log).isTrue(),
                () -> Files.readString(log, StandardCharsets.UTF_8).contains(line + "\n") ? Boolean.TRUE : null);
    }
}
