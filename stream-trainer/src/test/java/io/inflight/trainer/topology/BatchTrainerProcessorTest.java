package io.inflight.trainer.topology;

import static io.inflight.trainer.topology.TopologyFixtures.batch;
import static io.inflight.trainer.topology.TopologyFixtures.clicks;
import static io.inflight.trainer.topology.TopologyFixtures.driver;
import static io.inflight.trainer.topology.TopologyFixtures.rows;
import static io.inflight.trainer.topology.TopologyFixtures.summary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.NumericField;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.model.PlainFmBatchModel;
import io.inflight.policies.PolicySettings;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.trainer.train.BatchTrainer;
import io.inflight.trainer.state.TrainerStateStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class BatchTrainerProcessorTest extends TopologyDriverTest {

    private static final TopicCatalogue TOPICS = new TopicCatalogue("b", 1, (short) 1);
    private static final EventCodec CODEC = new EventCodec(EventLimits.DEFAULTS);
    private static final TrainerSettings SETTINGS = TrainerSettings.defaults();

    private TestInputTopic<byte[], byte[]> start(BatchSettings b) {
        return start(b, s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()));
    }

    private TestInputTopic<byte[], byte[]> start(BatchSettings b, BatchModelFactory factory,
                                                 TrainerMeters meters) {
        return start(b, BatchTrainer.fullPrecision(b, 1 << 16), PolicySettings.defaults().with(PolicySettings.MODE, "none"),
                factory, meters);
    }

    /** Checkpoints at every commit (the driver commits after every record), so the stores can be inspected. */
    private TestInputTopic<byte[], byte[]> start(BatchSettings b, StoreConfig store, PolicySettings policy,
                                                 BatchModelFactory factory, TrainerMeters meters) {
        return start(b, store, policy, CadenceSettings.everyCommit(), factory, meters);
    }

    private TestInputTopic<byte[], byte[]> start(BatchSettings b, StoreConfig store, PolicySettings policy,
                                                 CadenceSettings checkpoint,
                                                 BatchModelFactory factory, TrainerMeters meters) {
        driver = driver(TrainerTopology.build(TOPICS, SETTINGS, b, store, policy, checkpoint, factory, meters), "batch-test",
                stateDir, Map.of());
        return clicks(driver, TOPICS);
    }

    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(20);
            int user = r.nextInt(50);
            int label = r.nextDouble() < (ad < 10 ? 0.8 : 0.1) ? 1 : 0;
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, label,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + user),
                            ClickEvent.Field.of("ignored", "x")), List.of()));
        }
        return out;
    }

    /**
     * Lets the processor forward what batches trained on its trainer thread emitted: it does so in
     * {@code process} and in a wall-clock punctuation, never during a commit.
     */
    private void forwardTrained() {
        driver.advanceWallClockTime(Duration.ofMillis(60));
    }

    /**
     * Runs {@code fn} on the task (as {@link TrainerTasks#call} does for the CLI): the processor
     * first waits for its trainer thread and forwards every batch's outputs, so the stores and the
     * output topics hold everything the input produced. Without a checkpoint at the commit, only
     * this makes it safe to read the stores from the test thread.
     */
    private <T> T onTask(Function<TrainerTasks.View, T> fn) {
        var answer = CompletableFuture.supplyAsync(
                () -> TrainerTasks.call("batch-test", fn, Duration.ofSeconds(30)));
        while (!answer.isDone()) {
            forwardTrained(); // the punctuation serves the call once it is queued
            Thread.onSpinWait();
        }
        return answer.join().orElseThrow().get(0);
    }

    /** How many pending events the last checkpoint stored (length-prefixed records in parts). */
    private static int pendingStored(KeyValueStore<String, byte[]> state) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; state.get(BatchTrainerProcessor.PENDING_STREAM + i) != null; i++) {
            all.writeBytes(state.get(BatchTrainerProcessor.PENDING_STREAM + i));
        }
        ByteBuffer b = ByteBuffer.wrap(all.toByteArray());
        int n = 0;
        while (b.hasRemaining()) {
            int length = b.getInt();
            b.position(b.position() + length);
            n++;
        }
        return n;
    }

    @Test
    void shouldTrainOnlyWholeBatchesAndKeepTheRestPending() {
        TestInputTopic<byte[], byte[]> in = start(batch(4, 1));
        stream(10, 1).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(8);
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(pendingStored(state)).isEqualTo(2);
        assertThat(state.get(BatchTrainerProcessor.PENDING + "0")).isNull(); // the layout before pending-stream/
        assertThat(ByteBuffer.wrap(state.get(BatchTrainerProcessor.BATCHES)).getLong()).isEqualTo(2);
        // The "ignored" field is not in inflight.model.fields: it never gets a row.
        assertThat(rows(driver)).doesNotContainKey(FeatureKeys.key("ignored", "x"));
    }

    @Test
    void shouldLearnTheStream() {
        TestInputTopic<byte[], byte[]> in = start(batch(16, 4));
        stream(4000, 2).forEach(e -> in.pipeInput(CODEC.encode(e)));
        ProgressiveMetrics.Summary s = summary(driver, SETTINGS.aucBins());
        assertThat(s.events()).isEqualTo(4000);
        assertThat(s.auc()).isGreaterThan(0.75);
    }

    @Test
    void shouldFeedNumericFieldsOfDecodedEventsToTheDenseLayers() {
        // the label is x > e^4 - 1; the categorical fields are noise
        BatchSettings b = new BatchSettings("dnn", List.of("ad", "user"), List.of(NumericField.parse("x")), 4, 32,
                List.of(16, 16), "relu", "adam", 0.01, 0.05, 1e-6, 0.01, 7, 0);
        TestInputTopic<byte[], byte[]> in = start(b, BatchModels::create,
                TrainerMeters.on(new SimpleMeterRegistry()));
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < 2_048; i++) { // 64 whole batches
            double x = Math.expm1(8 * r.nextDouble());
            in.pipeInput(CODEC.encode(new ClickEvent("e" + i, 1_700_000_000_000L + i, x > Math.expm1(4) ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + r.nextInt(20)), ClickEvent.Field.of("user", "u" + r.nextInt(50))),
                    List.of(new ClickEvent.Numeric("x", x)))));
        }
        ProgressiveMetrics.Summary s = summary(driver, SETTINGS.aucBins());
        assertThat(s.events()).isEqualTo(2_048);
        assertThat(s.auc()).isGreaterThan(0.9);
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(new String(state.get(BatchTrainerProcessor.DENSE_SHAPE), StandardCharsets.UTF_8))
                .startsWith("dnn fields=[ad, user] numeric=[x:log] D=4");
    }

    @Test
    void shouldPublishEachChangedRowOnceWithItsCurrentWeights() {
        TestInputTopic<byte[], byte[]> in = start(batch(8, 3));
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        stream(8 * 3, 3).forEach(e -> in.pipeInput(CODEC.encode(e)));
        forwardTrained();
        List<KeyValue<byte[], byte[]>> out = updates.readKeyValuesToList();
        Map<Long, ModelUpdateCodec.Row> published = new HashMap<>();
        int dense = 0;
        for (KeyValue<byte[], byte[]> kv : out) {
            ModelUpdateCodec.Key key = ModelUpdateCodec.parseKey(kv.key);
            assertThat(key.model()).as("the model of this task's partition").isZero();
            if (key.row()) {
                assertThat(published.put(key.id(), ModelUpdateCodec.decodeRow(kv.value))).as("coalesced").isNull();
            } else {
                dense++;
            }
        }
        assertThat(dense).isEqualTo(1);
        Map<Long, float[]> stored = rows(driver);
        assertThat(published.keySet()).isEqualTo(stored.keySet());
        published.forEach((k, row) -> {
            float[] r = stored.get(k);
            assertThat(row.linear()).isEqualTo(r[4]);
            assertThat(row.embedding()).containsExactly(Arrays.copyOfRange(r, 0, 4));
            assertThat(row.chunkMask()).isEqualTo(1);
            assertThat(row.bits()).isEqualTo(32);
            assertThat(row.dim()).isEqualTo(4);
        });
        // Nothing is published before the third batch.
        stream(8, 4).forEach(e -> in.pipeInput(CODEC.encode(e)));
        forwardTrained();
        assertThat(updates.readKeyValuesToList()).isEmpty();
    }

    @Test
    void shouldSkipANonFiniteBatchCountItAndCarryOn() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // Every third forward pass produces NaN logits: that batch must change nothing.
        int[] calls = {0};
        TestInputTopic<byte[], byte[]> in = start(batch(8, 100), s -> new PoisonedModel(
                new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true), calls), TrainerMeters.on(registry));
        List<ClickEvent> events = stream(24, 9);
        events.subList(0, 16).forEach(e -> in.pipeInput(CODEC.encode(e)));
        Map<Long, float[]> before = rows(driver);
        events.subList(16, 24).forEach(e -> in.pipeInput(CODEC.encode(e)));
        Map<Long, float[]> after = rows(driver);
        assertThat(after.keySet()).isEqualTo(before.keySet());
        after.forEach((k, v) -> assertThat(v).containsExactly(before.get(k)));
        assertThat(registry.get(TrainerMeters.NON_FINITE).counter().count()).isEqualTo(1.0);
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(16); // the poisoned batch's scores are not recorded
        stream(8, 10).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(24);
        assertThat(rows(driver).size()).isGreaterThanOrEqualTo(before.size());
    }

    /** Delegates, but turns every third forward pass into NaN logits. */
    private static final class PoisonedModel implements BatchModel {
        private final BatchModel inner;
        private final int[] calls;

        PoisonedModel(BatchModel inner, int[] calls) {
            this.inner = inner;
            this.calls = calls;
        }

        @Override
        public void forward(float[] emb, float[] lin, float[] num, int b, float[] logits) {
            inner.forward(emb, lin, num, b, logits);
            if (++calls[0] % 3 == 0) {
                Arrays.fill(logits, 0, b, Float.NaN);
            }
        }

        @Override
        public boolean backward(float[] labels, int b, float[] embGrad, float[] linGrad) {
            return inner.backward(labels, b, embGrad, linGrad);
        }

        @Override public String name() { return inner.name(); }
        @Override public int fields() { return inner.fields(); }
        @Override public int dim() { return inner.dim(); }
        @Override public int numericFields() { return 0; }
        @Override public int batchCapacity() { return inner.batchCapacity(); }
        @Override public int denseSize() { return inner.denseSize(); }
        @Override public void exportDense(float[] dst) { inner.exportDense(dst); }
        @Override public void importDense(float[] src) { inner.importDense(src); }
        @Override public void close() { inner.close(); }
    }

    @Test
    void shouldGiveBitIdenticalRowsForTheSameInput() {
        List<ClickEvent> events = stream(600, 5);
        TestInputTopic<byte[], byte[]> in = start(batch(32, 2));
        events.forEach(e -> in.pipeInput(CODEC.encode(e)));
        Map<Long, float[]> first = rows(driver);
        driver.close();
        driver = null;
        TestInputTopic<byte[], byte[]> in2 = start(batch(32, 2));
        events.forEach(e -> in2.pipeInput(CODEC.encode(e)));
        Map<Long, float[]> second = rows(driver);
        assertThat(second.keySet()).isEqualTo(first.keySet());
        second.forEach((k, v) -> assertThat(v).containsExactly(first.get(k)));
    }

    /** D = 4 in two chunks of 2, FIITED adaptive under a byte budget, a pass every 5 batches. */
    private TestInputTopic<byte[], byte[]> startWithPolicy(long budgetBytes) {
        BatchSettings b = batch(8, 5);
        StoreConfig full = BatchTrainer.fullPrecision(b, 1 << 16);
        StoreConfig chunked = new StoreConfig(ChunkLayout.of(2, 2), full.defaultPrecision(), full.hotCapacity(), full.seed(),
                full.learningRate(), full.l2(), full.adagradEps(), full.utility(), full.newRowInit(), full.initScale());
        PolicySettings policy = PolicySettings.defaults().with(PolicySettings.MODE, "fiited-adaptive")
                .with(PolicySettings.INTERVAL_STEPS, "5").with(PolicySettings.BUDGET_BYTES, Long.toString(budgetBytes));
        return start(b, chunked, policy, s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()));
    }

    private EmbeddingStore embeddings() {
        return ((EmbeddingStateStore) driver.getStateStore(TrainerStateStore.EMBEDDINGS)).store();
    }

    @Test
    void shouldRunPolicyPassesThatHoldTheBudgetAndPublishTheNewMasks() {
        TestInputTopic<byte[], byte[]> in = startWithPolicy(0);
        stream(400, 11).forEach(e -> in.pipeInput(CODEC.encode(e)));
        long unlimited = embeddings().storedBytes(); // a budget of 0 is unlimited: nothing pruned
        driver.close();
        driver = null;

        long budget = unlimited * 2 / 3;
        TestInputTopic<byte[], byte[]> in2 = startWithPolicy(budget);
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        stream(400, 11).forEach(e -> in2.pipeInput(CODEC.encode(e)));
        forwardTrained();
        // 50 batches, a pass every 5: the last pass ran after the last batch
        assertThat(embeddings().storedBytes()).isLessThanOrEqualTo(budget);
        assertThat(embeddings().rowCount()).isLessThanOrEqualTo(20 + 50);
        // The latest update per key (null = tombstone) describes the store exactly: the last publication
        // came after the last pass.
        Map<Long, ModelUpdateCodec.Row> last = new HashMap<>();
        Map<Long, ModelUpdateCodec.SharedChunk> sharedChunks = new HashMap<>();
        ModelUpdateCodec.Gates gates = null;
        for (KeyValue<byte[], byte[]> kv : updates.readKeyValuesToList()) {
            ModelUpdateCodec.Key key = ModelUpdateCodec.parseKey(kv.key);
            if (key.row()) {
                last.put(key.id(), kv.value == null ? null : ModelUpdateCodec.decodeRow(kv.value));
            } else if (key.kind() == ModelUpdateCodec.Kind.SHARED) {
                sharedChunks.put(key.id(), kv.value == null ? null : ModelUpdateCodec.decodeSharedChunk(kv.value));
            } else if (key.kind() == ModelUpdateCodec.Kind.GATES) {
                gates = ModelUpdateCodec.decodeGates(kv.value);
            }
        }
        // and the shared hashed rows and their gates as the trainer holds them (chunks past a halved table tombstoned)
        SharedRows shared = embeddings().shared();
        assertThat(shared).as("shared rows under the budget").isNotNull();
        float[] table = new float[shared.rows() * 5];
        shared.copyRows(0, shared.rows(), table, 0);
        float[] published = new float[table.length];
        sharedChunks.values().stream().filter(Objects::nonNull).forEach(c -> {
            assertThat(c.tableRows()).isEqualTo(shared.rows());
            System.arraycopy(c.values(), 0, published, c.firstRow() * 5, c.values().length);
        });
        assertThat(published).containsExactly(table);
        assertThat(gates).isNotNull();
        assertThat(gates.gates()).containsExactly(shared.gates());
        assertThat(gates.chunkWidths()).containsExactly(2, 2);
        assertThat(last.values()).anySatisfy(r -> assertThat(r).isNotNull().extracting(ModelUpdateCodec.Row::chunkMask)
                .isNotEqualTo(3));
        Map<Long, float[]> stored = rows(driver);
        assertThat(last.entrySet().stream().filter(e -> e.getValue() != null).map(Map.Entry::getKey).toList())
                .containsExactlyInAnyOrderElementsOf(stored.keySet());
        last.forEach((k, r) -> {
            if (r != null && (r.chunkMask() & 2) == 0) { // the pruned chunk reads as zeros, in the store and in the update
                assertThat(r.embedding()[2]).isZero();
                assertThat(stored.get(k)[3]).isZero();
            }
        });
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(state.get(BatchTrainerProcessor.POLICY_STATE + "0")).isNotNull();
    }

    @Test
    void shouldGiveBitIdenticalStoresWithPolicyPasses() {
        List<ClickEvent> events = stream(300, 12);
        TestInputTopic<byte[], byte[]> in = startWithPolicy(3_000);
        events.forEach(e -> in.pipeInput(CODEC.encode(e)));
        byte[] first = embeddings().digest();
        driver.close();
        driver = null;
        TestInputTopic<byte[], byte[]> in2 = startWithPolicy(3_000);
        events.forEach(e -> in2.pipeInput(CODEC.encode(e)));
        assertThat(embeddings().digest()).isEqualTo(first);
    }

    private List<KeyValue<byte[], byte[]>> runAndCollectUpdates(CadenceSettings checkpoint, List<ClickEvent> events) {
        TestInputTopic<byte[], byte[]> in = start(batch(8, 2), BatchTrainer.fullPrecision(batch(8, 2), 1 << 16),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), checkpoint,
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()));
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        events.forEach(e -> in.pipeInput(CODEC.encode(e)));
        forwardTrained();
        return updates.readKeyValuesToList();
    }

    /** The journal's entries: the length of each event record, -1 for a dead-lettered one. */
    private List<Integer> journalEntries() {
        return TopologyFixtures.journalEntries(driver.getKeyValueStore(TrainerStateStore.JOURNAL));
    }

    @Test
    void shouldJournalEventsBetweenCheckpointsAndTrainTheSameModel() {
        List<ClickEvent> events = stream(100, 13);
        List<KeyValue<byte[], byte[]>> everyCommit = runAndCollectUpdates(CadenceSettings.everyCommit(), events);
        Map<Long, float[]> expected = rows(driver);
        assertThat(journalEntries()).isEmpty();
        driver.close();
        driver = null;

        List<KeyValue<byte[], byte[]>> deferred = runAndCollectUpdates(CadenceSettings.checkpoints(3_600_000, 1L << 40), events);
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        onTask(TrainerTasks.View::digest); // the trainer thread is idle and every output forwarded
        deferred = new ArrayList<>(deferred);
        deferred.addAll(updates.readKeyValuesToList());
        // Nothing was checkpointed: every accepted event (and the one dead letter) is in the journal instead.
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(state.get(BatchTrainerProcessor.BATCHES)).isNull();
        assertThat(state.get(TrainerStateStore.METRICS_KEY)).isNull();
        TestInputTopic<byte[], byte[]> in = driver.createInputTopic(TOPICS.clicks(), Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer());
        in.pipeInput(new byte[] {1, 2, 3});
        List<Integer> entries = journalEntries();
        assertThat(entries).hasSize(101);
        assertThat(entries.subList(0, 100)).allSatisfy(n -> assertThat(n).isPositive());
        assertThat(entries.get(100)).isEqualTo(-1);
        // The same training and the same publications, bit for bit.
        Map<Long, float[]> actual = rows(driver);
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        actual.forEach((k, v) -> assertThat(v).containsExactly(expected.get(k)));
        assertThat(deferred).hasSameSizeAs(everyCommit);
        for (int i = 0; i < deferred.size(); i++) {
            assertThat(deferred.get(i).key).isEqualTo(everyCommit.get(i).key);
            assertThat(deferred.get(i).value).isEqualTo(everyCommit.get(i).value);
        }
    }

    @Test
    void shouldCheckpointAtTheNextCommitWhenTheJournalHoldsMaxBytes() {
        runAndCollectUpdates(CadenceSettings.checkpoints(3_600_000, 1), stream(20, 14));
        assertThat(journalEntries()).isEmpty();
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(ByteBuffer.wrap(state.get(BatchTrainerProcessor.BATCHES)).getLong()).isEqualTo(2);
        assertThat(pendingStored(state)).isEqualTo(4);
        assertThat(summary(driver, SETTINGS.aucBins()).events()).isEqualTo(16);
    }

    @Test
    void shouldPublishByTimeOnlyWhenBatchesWereTrainedSince() {
        BatchSettings b = batch(8, 0); // no count-based publication
        TestInputTopic<byte[], byte[]> in = start(b, BatchTrainer.fullPrecision(b, 1 << 16),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"), new CadenceSettings(0, 1L << 30, 1_000),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()));
        TestOutputTopic<byte[], byte[]> updates = driver.createOutputTopic(TOPICS.modelUpdates(),
                Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
        stream(16, 15).forEach(e -> in.pipeInput(CODEC.encode(e)));
        forwardTrained();
        assertThat(updates.readKeyValuesToList()).as("before the interval").isEmpty();
        driver.advanceWallClockTime(Duration.ofMillis(1_000));
        onTask(TrainerTasks.View::digest); // the publication is trained and forwarded
        List<KeyValue<byte[], byte[]>> first = updates.readKeyValuesToList();
        Map<Long, float[]> stored = rows(driver);
        assertThat(first.stream().filter(kv -> kv.key[0] == 'r').count()).isEqualTo(stored.size());
        assertThat(first.stream().filter(kv -> kv.key[0] == 'd').count()).isEqualTo(1);
        // No batch since: nothing to publish, however long the wait.
        driver.advanceWallClockTime(Duration.ofMillis(5_000));
        onTask(TrainerTasks.View::digest);
        assertThat(updates.readKeyValuesToList()).isEmpty();
        // A partial batch changes nothing either; the batch it completes is published at the next interval.
        stream(8, 16).forEach(e -> in.pipeInput(CODEC.encode(e)));
        driver.advanceWallClockTime(Duration.ofMillis(1_000));
        onTask(TrainerTasks.View::digest); // the publication is trained and forwarded
        assertThat(updates.readKeyValuesToList()).isNotEmpty();
    }

    @Test
    void shouldNotCheckpointAnIdleTask() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TestInputTopic<byte[], byte[]> in = start(batch(4, 1), s -> new PlainFmBatchModel(s.slots(), s.dim(),
                s.batchSize(), true), TrainerMeters.on(registry));
        stream(6, 17).forEach(e -> in.pipeInput(CODEC.encode(e)));
        long afterEvents = registry.get(TrainerMeters.CHECKPOINT).timer().count();
        assertThat(afterEvents).isPositive();
        for (int i = 0; i < 10; i++) {
            driver.advanceWallClockTime(Duration.ofSeconds(1)); // punctuations, commits, no events
        }
        assertThat(registry.get(TrainerMeters.CHECKPOINT).timer().count()).isEqualTo(afterEvents);
        stream(1, 18).forEach(e -> in.pipeInput(CODEC.encode(e)));
        assertThat(registry.get(TrainerMeters.CHECKPOINT).timer().count()).isGreaterThan(afterEvents);
    }

    @Test
    void shouldRefuseDenseStateOfAnotherModelShape() {
        TestInputTopic<byte[], byte[]> in = start(batch(4, 1));
        stream(8, 1).forEach(e -> in.pipeInput(CODEC.encode(e)));
        KeyValueStore<String, byte[]> state = driver.getKeyValueStore(TrainerStateStore.STATE);
        assertThat(new String(state.get(BatchTrainerProcessor.DENSE_SHAPE), StandardCharsets.UTF_8))
                .startsWith("fm fields=[ad, user] D=4");
        // as if an earlier run under this application id had trained another model
        state.put(BatchTrainerProcessor.DENSE_SHAPE, "dnn D=4".getBytes(StandardCharsets.UTF_8));
        var processor = new BatchTrainerProcessor(SETTINGS, batch(4, 1),
                PolicySettings.defaults().with(PolicySettings.MODE, "none"),
                s -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true),
                TrainerMeters.on(new SimpleMeterRegistry()));
        var context = new MockProcessorContext<byte[], byte[]>();
        context.addStateStore(driver.getStateStore(TrainerStateStore.EMBEDDINGS));
        context.addStateStore(state);
        assertThatThrownBy(() -> processor.init(context)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dnn D=4").hasMessageContaining("fm fields=[ad, user]")
                .hasMessageContaining("inflight.application.id");
    }
}
