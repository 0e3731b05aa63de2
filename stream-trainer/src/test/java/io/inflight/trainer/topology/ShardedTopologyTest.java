package io.inflight.trainer.topology;

import static io.inflight.trainer.topology.TopologyFixtures.batch;
import static io.inflight.trainer.topology.TopologyFixtures.clicks;
import static io.inflight.trainer.topology.TopologyFixtures.driver;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.trainer.shard.RowShard;
import io.inflight.trainer.shard.ShardPolicies;
import io.inflight.trainer.shard.ShardedRows;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Row shards ({@code inflight.topology.shards}): intake, one trainer task and S shard tasks joined by
 * internal topics; whatever the window, the predictions are those of the trainer that holds every row
 * itself, byte for byte, and every row ends in its shard as that trainer's table holds it.
 */
class ShardedTopologyTest extends TopologyDriverTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("sh", 2, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final byte[] MALFORMED = "not an event".getBytes(StandardCharsets.UTF_8);
    /** The test driver reads every topic as one partition, so one shard here (three in ShardedTrainingIT and ShardedRowsTest). */
    private static final int SHARDS = 1;

    /** The defaults, with every scored event written to the predictions topic. */
    private static final TrainerSettings SETTINGS = new TrainerSettings("fm", 8, 0.05, 1e-6, 0.01, 42L, 4096, true,
            EventLimits.DEFAULTS, TrainerSettings.defaults().windowEvents(), "binary");

    private static Topology sharded(BatchSettings b, int window, long cacheRows) {
        return sharded(b, PolicySettings.defaults().with(PolicySettings.MODE, "none"), window, cacheRows);
    }

    private static Topology sharded(BatchSettings b, PolicySettings policy, int window, long cacheRows) {
        return TrainerTopology.sharded(TOPICS, SETTINGS, b, BatchTrainer.fullPrecision(b, 1 << 16),
                policy, CadenceSettings.everyCommit(), s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()), Faults.NONE, SHARDS, window, cacheRows);
    }

    private static Topology local(BatchSettings b) {
        return TrainerTopology.build(TOPICS, SETTINGS, b, BatchTrainer.fullPrecision(b, 1 << 16),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), CadenceSettings.everyCommit(),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()), Faults.NONE, true, 2);
    }

    @Test
    void shouldHaveAnIntakeATrainerAndAShardSubTopology() {
        List<TopologyDescription.Subtopology> subs = new ArrayList<>(sharded(batch(4, 0), 1, 1000).describe().subtopologies());
        subs.sort((a, b) -> Integer.compare(a.id(), b.id()));
        assertThat(subs).hasSize(3);
        String all = subs.toString();
        assertThat(all).contains(TrainerTopology.REQUESTS_TOPIC, TrainerTopology.REPLIES_TOPIC, TrainerTopology.EVENTS_TOPIC);
        // the trainer task holds no rows; the shard tasks do
        String trainer = subs.stream().filter(s -> s.nodes().stream().anyMatch(n -> n.name().equals(TrainerTopology.TRAINER)))
                .findFirst().orElseThrow().toString();
        assertThat(trainer).doesNotContain(TrainerTopology.SHARD_EMBEDDINGS).contains(TrainerTopology.COMMIT_HOOK);
    }

    private record Run(List<byte[]> predictions, List<TestRecord<byte[], byte[]>> letters, Map<Long, float[]> rows,
                       List<TestRecord<byte[], byte[]>> updates) {
    }

    private Run run(Topology t, String name, List<ClickEvent> events) {
        return run(t, name, events, Map.of());
    }

    private Run run(Topology t, String name, List<ClickEvent> events, Map<String, Object> extra) {
        driver = driver(t, "sh-" + name, stateDir.resolve(name), extra);
        TestInputTopic<byte[], byte[]> in = clicks(driver, TOPICS);
        TestOutputTopic<byte[], byte[]> predictions = driver.createOutputTopic(TOPICS.predictions(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(TOPICS.deadLetter(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        for (int i = 0; i < events.size(); i++) {
            if (i == 7) {
                in.pipeInput("k".getBytes(StandardCharsets.UTF_8), MALFORMED);
            }
            in.pipeInput(CODEC.encode(events.get(i)));
            driver.advanceWallClockTime(Duration.ofMillis(60));
        }
        driver.advanceWallClockTime(Duration.ofMillis(60));
        // finish (as train --until-caught-up does): the held pushes of the last batches go to the shards; the
        // call is served by the trainer's punctuator, which runs on this thread as the clock advances
        CompletableFuture<Boolean> finished = CompletableFuture.supplyAsync(() -> TrainerTasks.finish("sh-" + name,
                Duration.ofSeconds(20)));
        while (!finished.isDone()) {
            driver.advanceWallClockTime(Duration.ofMillis(60));
        }
        assertThat(finished.join()).isTrue();
        List<byte[]> out = predictions.readRecordsToList().stream().map(TestRecord::value).collect(Collectors.toList());
        return new Run(out, dead.readRecordsToList(), TopologyFixtures.rows(driver,
                name.startsWith("local") ? TrainerStateStore.EMBEDDINGS : TrainerTopology.SHARD_EMBEDDINGS),
                updates.readRecordsToList());
    }

    @Test
    void shouldScoreEveryEventAsTheTrainerThatHoldsItsRowsWhateverTheWindow() {
        List<ClickEvent> events = TopologyFixtures.stream(96, 21);
        Run direct = run(local(batch(8, 0)), "local", events);
        driver.close();
        driver = null;
        // window 1: one batch at a time; window 3 with a cache of 8 rows: rows leave the trainer and come back
        for (int[] wc : new int[][] {{1, 1000}, {3, 8}, {5, 1000}}) {
            Run shards = run(sharded(batch(8, 0), wc[0], wc[1]), "sharded-" + wc[0] + "-" + wc[1], events);
            driver.close();
            driver = null;
            assertThat(shards.predictions).as("window %d", wc[0]).hasSize(96).containsExactlyElementsOf(direct.predictions);
            assertThat(shards.letters).hasSize(1);
            assertThat(shards.letters.get(0).value()).isEqualTo(MALFORMED);
            // and the shard holds every row as the trainer's own table does, bit for bit
            assertThat(shards.rows).isNotEmpty();
            assertThat(shards.rows.keySet()).isEqualTo(direct.rows.keySet());
            shards.rows.forEach((k, v) -> assertThat(v).as("row %d", k).containsExactly(direct.rows.get(k)));
            // published: the shards' rows as they end (the last record of each key) and the trainer's dense state
            Map<Long, float[]> published = new HashMap<>();
            long denseVersion = -1;
            for (TestRecord<byte[], byte[]> u : shards.updates) {
                ModelUpdateCodec.Key key = ModelUpdateCodec.parseKey(u.key());
                assertThat(key.model()).isZero();
                if (key.row()) {
                    ModelUpdateCodec.Row row = ModelUpdateCodec.decodeRow(u.value());
                    float[] r = Arrays.copyOf(row.embedding(), 5);
                    r[4] = row.linear();
                    published.put(key.id(), r);
                } else {
                    denseVersion = ByteBuffer.wrap(u.value()).getInt(2);
                }
            }
            assertThat(published.keySet()).isEqualTo(shards.rows.keySet());
            published.forEach((k, v) -> assertThat(v).as("published row %d", k).containsExactly(shards.rows.get(k)));
            assertThat(denseVersion).as("the dense state published once the finish was trained").isEqualTo(12 + wc[0]);
        }
    }

    @Test
    void shouldEvictAtTheShardUnderItsBudgetAndScoreAsTheInProcessShards() {
        List<ClickEvent> events = TopologyFixtures.stream(640, 31);
        BatchSettings b = batch(8, 0);
        StoreConfig config = BatchTrainer.fullPrecision(b, 1 << 16);
        EmbeddingStore unlimited = EmbeddingStore.inMemory("unlimited", config);
        BatchTrainer all = new BatchTrainer(b, new PlainFmBatchModel(b.slots(), b.dim(), b.batchSize(), true), unlimited);
        for (int i = 0; i < events.size(); i += 8) {
            all.step(events.subList(i, i + 8), i / 8, (e, z) -> { });
        }
        long budget = unlimited.storedBytes() / 2;
        PolicySettings policy = PolicySettings.defaults().with(PolicySettings.BUDGET_BYTES, Long.toString(budget))
                .with(PolicySettings.MODE, "adaembed").with(PolicySettings.INTERVAL_STEPS, "5");
        int window = 3;

        // the same requests through a call: one shard with the same policies
        RowShard shard = new RowShard(EmbeddingStore.inMemory("shard", config), 0, 1);
        shard.policies(new ShardPolicies(shard.rows(), ShardPolicies.perShard(policy, 1), window));
        ShardedRows rows = new ShardedRows("in-process", config, 0, 1, window, 0,
                (s, request) -> RowShardCodec.encode(shard.handle(RowShardCodec.decodeRequest(request))));
        BatchTrainer inProcess = new BatchTrainer(b, new PlainFmBatchModel(b.slots(), b.dim(), b.batchSize(), true), rows);
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < events.size(); i += 8) {
            inProcess.step(events.subList(i, i + 8), i / 8, (e, z) -> expected.add(Predictions.encode(e.id(),
                    e.eventTimeMs(), e.label(), Losses.sigmoid(z))));
        }
        assertThat(shard.policies().passes()).isPositive();

        // the cache size asked for is not kept: with policies at the shards the cache holds the window's rows only
        Run streamed = run(sharded(b, policy, window, 1000), "policies", events);
        assertThat(streamed.predictions).hasSize(640).containsExactlyElementsOf(expected);
        assertThat(streamed.rows).isNotEmpty();
        assertThat(streamed.rows.size()).isLessThan((int) unlimited.rowCount());
        EmbeddingStateStore stored = (EmbeddingStateStore) driver.getStateStore(TrainerTopology.SHARD_EMBEDDINGS);
        assertThat(stored.store().storedBytes()).isLessThanOrEqualTo(budget);
        // train's table line reads the shards (where the table is), served on the shard task's thread
        CompletableFuture<Optional<TableStats>> table = CompletableFuture.supplyAsync(() -> TrainerTasks.tableStats(
                "sh-policies", Duration.ofSeconds(20)));
        while (!table.isDone()) {
            driver.advanceWallClockTime(Duration.ofMillis(60));
        }
        TableStats stats = table.join().orElseThrow();
        assertThat(stats.rows()).isEqualTo(stored.store().rowCount());
        assertThat(stats.bytes()).isEqualTo(stored.store().storedBytes());
        assertThat(stats.passes()).isPositive();
        assertThat(stats.evicted()).isPositive();
        // what the shard evicted it published as tombstones: the last record of each key is its row or none
        Map<Long, Boolean> last = new HashMap<>();
        for (TestRecord<byte[], byte[]> u : streamed.updates) {
            ModelUpdateCodec.Key key = ModelUpdateCodec.parseKey(u.key());
            if (key.row()) {
                last.put(key.id(), u.value() != null);
            }
        }
        assertThat(last.values()).contains(false);
        last.forEach((k, present) -> assertThat(streamed.rows.containsKey(k)).as("row %d", k).isEqualTo(present));
    }

    @Test
    void shouldCutABatchShortWhenAShardsKeysWouldNotFitARecord() {
        // 256 events of distinct users a batch: ~270 keys, whose reply would not fit a record of 12,000 bytes
        SplittableRandom r = new SplittableRandom(5);
        List<ClickEvent> events = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            events.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, r.nextInt(4) == 0 ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + r.nextInt(20)), ClickEvent.Field.of("user", "u" + i)), List.of()));
        }
        BatchSettings b = batch(256, 0);
        Run small = run(sharded(b, 2, 1000), "small-records", events,
                Map.of(TrainerTopology.MAX_RECORD_BYTES_CONFIG, "12000"));
        assertThat(small.predictions).hasSize(1024);
        assertThat(small.letters).hasSize(1); // the malformed record only: every request and reply fit
        long batches = -1;
        for (TestRecord<byte[], byte[]> u : small.updates) {
            if (!ModelUpdateCodec.parseKey(u.key()).row()) {
                batches = ByteBuffer.wrap(u.value()).getInt(2);
            }
        }
        // cut short: more than the 4 batches of 256 (and the 2 that carry the last pushes)
        assertThat(batches).isGreaterThan(4 + 2);
        int most = ShardBatch.maxKeysPerShard(12000, BatchTrainer.fullPrecision(b, 1 << 16));
        assertThat(most).isLessThan(200);
    }
}
