package io.inflight.trainer.shard;

import io.inflight.policies.PolicySettings;
import static io.inflight.trainer.shard.ShardFixtures.bits;
import static io.inflight.trainer.shard.ShardFixtures.grads;
import static io.inflight.trainer.shard.ShardFixtures.keysOf;
import static io.inflight.trainer.shard.ShardFixtures.request;
import static io.inflight.trainer.shard.ShardFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.store.streams.EmbeddingStores;
import io.inflight.topics.RejectReason;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.topology.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ShardProcessor} in a {@link TopologyTestDriver} (task 0_0: shard 0 of 3): requests in, replies
 * out keyed by trainer with the rows one store gives; a malformed request and one with a key of
 * another shard are dead-lettered and the next ones answered; the progress is in its logged store.
 * A restart over the same state directory (the test driver deletes its state when closed, so a
 * {@link MockProcessorContext} over RocksDB stores plays the task twice) keeps rows and progress.
 */
class ShardProcessorTest {

    private static final String REQUESTS = "rq";
    private static final String REPLIES = "rr";
    private static final String DEAD = "dl";
    private static final String ROWS = "shard-rows";
    private static final String PROGRESS = "shard-progress";
    private static final StoreConfig CONFIG = StoreConfig.defaults(ChunkLayout.of(4, 4)).withPrecision(Precision.FP16)
            .withInit(ChunkInit.RANDOM, 0.05f);
    private static final int STRIDE = 9;

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;

    @AfterEach
    void close() {
        if (driver != null) {
            driver.close();
        }
    }

    private static Properties props(String appId, Path dir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return p;
    }

    @Test
    void shouldAnswerRequestsByTrainerAndDeadLetterBadOnes() {
        Topology t = ShardProcessor.addTo(new Topology(), REQUESTS, REPLIES, DEAD, "updates", 0, ROWS, PROGRESS, CONFIG, 3,
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), 4);
        driver = new TopologyTestDriver(t, props("shard-test", stateDir));
        TestInputTopic<byte[], byte[]> in = driver.createInputTopic(REQUESTS, Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer());
        TestOutputTopic<byte[], byte[]> replies = driver.createOutputTopic(REPLIES, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(DEAD, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());

        long[] keys = keysOf(0, 3, 5, 21);
        long[] pull = Arrays.copyOf(keys, 3);
        float[] g = grads(5, STRIDE, 0.2, 8);
        ShardRequest pushing = request(2, 1, STRIDE, 0, keys, g, pull);
        byte[] truncated = Arrays.copyOf(RowShardCodec.encode(pushing), 40);
        long foreign = keysOf(1, 3, 1, 4)[0];

        in.pipeInput(ShardProcessor.trainerKey(2), RowShardCodec.encode(request(2, 0, STRIDE, -1, new long[0],
                new float[0], pull)));
        in.pipeInput("bad".getBytes(StandardCharsets.UTF_8), truncated);
        in.pipeInput(RowShardCodec.encode(pushing));
        in.pipeInput(RowShardCodec.encode(request(5, 0, STRIDE, -1, new long[0], new float[0], new long[] {foreign})));
        in.pipeInput(RowShardCodec.encode(request(5, 1, STRIDE, -1, new long[0], new float[0], keys)));
        in.pipeInput(RowShardCodec.encode(pushing)); // re-sent

        List<TestRecord<byte[], byte[]>> out = replies.readRecordsToList();
        assertThat(out).extracting(r -> ShardProcessor.trainerOf(r.key())).containsExactly(2, 2, 5, 2);
        ShardReply[] r = out.stream().map(x -> RowShardCodec.decodeReply(x.value())).toArray(ShardReply[]::new);
        assertThat(r).extracting(ShardReply::batch).containsExactly(0L, 1L, 1L, 1L);
        assertThat(r).extracting(ShardReply::shard).containsOnly(0);

        // the rows one store gives: initial rows, then after the push applied once
        EmbeddingStore reference = EmbeddingStore.inMemory("reference", CONFIG);
        float[] initial = new float[pull.length * STRIDE];
        reference.gather(pull, pull.length, initial);
        assertThat(r[0].keys()).isEqualTo(pull);
        assertThat(bits(ReplyRows.floats(r[0], CONFIG))).isEqualTo(bits(initial));
        reference.scatter(keys, pushing.pushAccesses(), keys.length, g, pushing.pushStep());
        float[] after = new float[keys.length * STRIDE];
        reference.gather(keys, keys.length, after);
        assertThat(bits(ReplyRows.floats(r[1], CONFIG))).isEqualTo(bits(Arrays.copyOf(after, pull.length * STRIDE)));
        assertThat(bits(ReplyRows.floats(r[2], CONFIG))).isEqualTo(bits(after));
        assertThat(bits(ReplyRows.floats(r[3], CONFIG))).as("the re-sent push is not applied again").isEqualTo(bits(ReplyRows.floats(r[1], CONFIG)));
        EmbeddingStateStore rows = (EmbeddingStateStore) driver.getStateStore(ROWS);
        assertThat(snapshot(rows.store())).isEqualTo(snapshot(reference));

        List<TestRecord<byte[], byte[]>> letters = dead.readRecordsToList();
        assertThat(letters).hasSize(2);
        assertThat(letters.get(0).value()).isEqualTo(truncated);
        assertThat(letters.get(0).key()).isEqualTo("bad".getBytes(StandardCharsets.UTF_8));
        assertThat(header(letters.get(0), DeadLetters.HEADER_REASON)).isEqualTo(RejectReason.TRUNCATED.code());
        assertThat(header(letters.get(0), DeadLetters.HEADER_DETAIL)).contains("at offset");
        assertThat(header(letters.get(0), DeadLetters.HEADER_SOURCE_TOPIC)).isEqualTo(REQUESTS);
        assertThat(header(letters.get(0), DeadLetters.HEADER_SOURCE_OFFSET)).isEqualTo("1");
        assertThat(header(letters.get(1), DeadLetters.HEADER_REASON)).isEqualTo(RejectReason.INTERNAL_ERROR.code());
        assertThat(header(letters.get(1), DeadLetters.HEADER_DETAIL)).contains("pull key " + foreign)
                .contains("belongs to shard 1, not to shard 0 (S = 3)");

        // the progress is in its store (and so in its changelog): trainer 2 has batch 0 applied, trainer 5 nothing
        KeyValueStore<String, byte[]> progress = driver.getKeyValueStore(PROGRESS);
        RowShard restored = new RowShard(reference, 0, 3);
        restored.restoreProgress(progress.get(ShardProcessor.PROGRESS_KEY));
        assertThat(restored.lastApplied(2)).isZero();
        assertThat(restored.lastApplied(5)).isEqualTo(-1);
        TestOutputTopic<String, byte[]> changelog = driver.createOutputTopic("shard-test-" + PROGRESS + "-changelog",
                Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
        assertThat(changelog.readKeyValuesToMap()).containsOnlyKeys(ShardProcessor.PROGRESS_KEY)
                .hasEntrySatisfying(ShardProcessor.PROGRESS_KEY, v -> assertThat(v).isEqualTo(restored.exportProgress()));
    }

    @Test
    void shouldSendRepliesToTheTrainersPartition() {
        ShardProcessor.TrainerPartitioner p = new ShardProcessor.TrainerPartitioner();
        assertThat(p.partitions(REPLIES, ShardProcessor.trainerKey(5), new byte[0], 4)).contains(Set.of(1));
        assertThat(p.partitions(REPLIES, ShardProcessor.trainerKey(3), new byte[0], 4)).contains(Set.of(3));
        assertThat(p.partitions(REPLIES, new byte[] {1}, new byte[0], 4)).isEmpty();
        assertThat(ShardProcessor.trainerOf(ShardProcessor.trainerKey(123_456))).isEqualTo(123_456);
    }

    @Test
    void shouldKeepRowsAndProgressAcrossARestartOverTheSameStateDirectory() {
        long[] keys = keysOf(1, 3, 4, 31);
        float[] g = grads(4, STRIDE, 0.3, 2);
        ShardRequest first = request(0, 1, STRIDE, 0, keys, g, keys);
        ShardRequest second = request(0, 2, STRIDE, 1, keys, grads(4, STRIDE, 0.3, 3), keys);

        Task task = new Task(stateDir);
        ShardReply one = task.send(first);
        task.commitAndClose();

        Task restarted = new Task(stateDir);
        assertThat(restarted.processor.shard().lastApplied(0)).as("progress restored").isZero();
        ShardReply again = restarted.send(first); // re-sent after the restart: answered, not applied
        assertThat(bits(ReplyRows.floats(again, CONFIG))).isEqualTo(bits(ReplyRows.floats(one, CONFIG)));
        assertThat(restarted.processor.shard().duplicatePushes()).isEqualTo(1);
        ShardReply two = restarted.send(second);
        restarted.commitAndClose();

        EmbeddingStore reference = EmbeddingStore.inMemory("reference", CONFIG);
        reference.scatter(keys, first.pushAccesses(), keys.length, g, first.pushStep());
        reference.scatter(keys, second.pushAccesses(), keys.length, second.pushGrads(), second.pushStep());
        float[] expected = new float[keys.length * STRIDE];
        reference.gather(keys, keys.length, expected);
        assertThat(bits(ReplyRows.floats(two, CONFIG))).isEqualTo(bits(expected));
    }

    /** Task 0_1 (shard 1 of 3) on a mock context, its RocksDB stores in {@code dir}, without changelogs. */
    private static final class Task {
        final MockProcessorContext<byte[], byte[]> context;
        final EmbeddingStateStore rows;
        final KeyValueStore<String, byte[]> progress;
        final ShardProcessor processor;

        Task(Path dir) {
            context = new MockProcessorContext<>(props("shard-restart", dir), new TaskId(0, 1), dir.toFile());
            rows = EmbeddingStores.builder(ROWS, CONFIG).withLoggingDisabled().build();
            progress = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PROGRESS), Serdes.String(),
                    Serdes.ByteArray()).withLoggingDisabled().withCachingDisabled().build();
            rows.init(context.getStateStoreContext(), rows);
            progress.init(context.getStateStoreContext(), progress);
            context.addStateStore(rows);
            context.addStateStore(progress);
            processor = new ShardProcessor(3, ROWS, PROGRESS, ShardProcessor.REPLIES_SINK, ShardProcessor.DEAD_LETTER_SINK);
            processor.init(context);
        }

        ShardReply send(ShardRequest request) {
            context.resetForwards();
            processor.process(new Record<>(null, RowShardCodec.encode(request), 0L));
            assertThat(context.forwarded(ShardProcessor.DEAD_LETTER_SINK)).isEmpty();
            var replies = context.forwarded(ShardProcessor.REPLIES_SINK);
            assertThat(replies).hasSize(1);
            assertThat(ShardProcessor.trainerOf(replies.get(0).record().key())).isEqualTo(request.trainer());
            return RowShardCodec.decodeReply(replies.get(0).record().value());
        }

        /** What Streams does at a commit and a clean close: flush the rows, commit both stores, close them. */
        void commitAndClose() {
            rows.flushCache();
            rows.commit(Map.of());
            progress.commit(Map.of());
            processor.close();
            rows.close();
            progress.close();
        }
    }

    private static String header(TestRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
