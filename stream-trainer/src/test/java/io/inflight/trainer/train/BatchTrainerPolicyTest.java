package io.inflight.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.PlainFmBatchModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The trainer contract of {@link PolicyRunner} as {@link BatchTrainer} follows it. */
class BatchTrainerPolicyTest {

    private static final BatchSettings SETTINGS = new BatchSettings("fm", List.of("ad", "user"), 8, 16, List.of(8), "relu",
            "adam", 1e-3, 0.1, 0, 0.01, 7, 0);

    /** D = 8 in four chunks of 2. */
    private static EmbeddingStore store() {
        return store(BatchTrainer.fullPrecision(SETTINGS, 1 << 16).learningRate());
    }

    /** D = 8 in four chunks of 2, rows (and shared rows) trained at {@code learningRate}. */
    private static EmbeddingStore store(float learningRate) {
        StoreConfig full = BatchTrainer.fullPrecision(SETTINGS, 1 << 16);
        return EmbeddingStore.inMemory("t", new StoreConfig(ChunkLayout.of(2, 2, 2, 2), full.defaultPrecision(),
                full.hotCapacity(), full.seed(), learningRate, full.l2(), full.adagradEps(), full.utility(),
                full.newRowInit(), full.initScale()));
    }

    private static PolicyRunner runner(String mode, String... settings) {
        Map<String, String> m = new HashMap<>(Map.of(PolicySettings.MODE, mode));
        for (int i = 0; i < settings.length; i += 2) {
            m.put(settings[i], settings[i + 1]);
        }
        PolicySettings s = PolicySettings.fromMap(m);
        return new PolicyRunner(s, new int[] {2, 2, 2, 2}, SETTINGS.slots());
    }

    /** FM over the store's rows, following {@code runner}'s trainer contract. */
    private static BatchTrainer trainer(EmbeddingStore rows, PolicyRunner runner) {
        BatchTrainer trainer = new BatchTrainer(SETTINGS, new PlainFmBatchModel(2, 8, 16, true), rows);
        trainer.policies(runner);
        return trainer;
    }

    private static ClickEvent event(int i, String ad, String user, int label) {
        return new ClickEvent("e" + i, 1_700_000_000_000L + i, label,
                List.of(ClickEvent.Field.of("ad", ad), ClickEvent.Field.of("user", user)), List.of());
    }

    /** Ads 0-9 click often, 10-19 rarely; 200 users, each seen a few times. */
    private static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(20);
            out.add(event(i, "a" + ad, "u" + r.nextInt(200), r.nextDouble() < (ad < 10 ? 0.8 : 0.1) ? 1 : 0));
        }
        return out;
    }

    private static Map<Long, Integer> masks(EmbeddingStore rows) {
        Map<Long, Integer> out = new HashMap<>();
        rows.forEachRow(r -> out.put(r.key(), r.mask()));
        return out;
    }

    /** Trains {@code events} in batches of 16 with a pass when due; returns the logits scored. */
    private static List<Float> train(BatchTrainer trainer, PolicyRunner runner, List<ClickEvent> events, long[] step) {
        List<Float> logits = new ArrayList<>();
        for (int i = 0; i < events.size(); i += 16) {
            trainer.step(events.subList(i, Math.min(events.size(), i + 16)), step[0], (e, z) -> logits.add(z));
            step[0]++;
            if (runner.isPassDue(step[0])) {
                runner.runPass((EmbeddingRows) trainer.rows(), step[0]);
            }
        }
        return logits;
    }

    @Test
    void shouldCreateARowOnlyOnceTheAdmissionCountIsReachedAndReadZerosBefore() {
        EmbeddingStore rows = store();
        PolicyRunner runner = runner("adaembed", PolicySettings.ADMISSION_COUNT, "3",
                PolicySettings.ADMISSION_SKETCH_WIDTH, "1024");
        BatchTrainer trainer = trainer(rows, runner);
        long ad = FeatureKeys.key("ad", "rare");
        long user = FeatureKeys.key("user", "u");
        List<Float> logits = new ArrayList<>();
        // the first batch holds 'rare' twice: counted, not admitted; it and 'u' (also twice) read as zeros
        trainer.step(List.of(event(0, "rare", "u", 1), event(1, "rare", "u", 0)), 0, (e, z) -> logits.add(z));
        assertThat(masks(rows)).doesNotContainKeys(ad, user).isEmpty();
        assertThat(logits).containsOnly(0f); // no rows, zero bias: every weight read as zero
        trainer.step(List.of(event(2, "rare", "other", 1)), 1, (e, z) -> logits.add(z));
        assertThat(masks(rows)).containsKey(ad).doesNotContainKey(FeatureKeys.key("user", "other"));

        // without admission, every key gets its row at first sight
        EmbeddingStore all = store();
        BatchTrainer plain = trainer(all, runner("adaembed", PolicySettings.ADMISSION_COUNT, "1"));
        plain.step(List.of(event(0, "rare", "u", 1)), 0, (e, z) -> { });
        assertThat(masks(all)).containsKeys(ad, user);
    }

    @Test
    void shouldStartRowsAtOneChunkAndGrowThemByTheGrowthPolicy() {
        EmbeddingStore rows = store();
        PolicyRunner runner = runner("esapn", PolicySettings.INTERVAL_STEPS, "10",
                PolicySettings.ESAPN_STATE_SLOTS, "1024");
        BatchTrainer trainer = trainer(rows, runner);
        float[] unseen = new float[9];
        rows.newRowMask(runner.initialMask());
        rows.gather(new long[] {FeatureKeys.key("ad", "never")}, 1, unseen);
        assertThat(unseen[0]).isNotZero(); // chunk 0 reads as its random initialisation ...
        assertThat(Arrays.copyOfRange(unseen, 2, 8)).containsOnly(0f); // ... the others as pruned

        train(trainer, runner, stream(1600, 3), new long[] {0});
        Map<Long, Integer> masks = masks(rows);
        assertThat(masks).hasSize(220);
        assertThat(masks.values()).allSatisfy(m -> assertThat(m & 1).isEqualTo(1)); // rows only grow
        // no budget, so nothing shrinks: every chunk beyond the first was grown by the policy
        long extraChunks = masks.values().stream().mapToLong(m -> Integer.bitCount(m) - 1).sum();
        assertThat(extraChunks).isPositive().isEqualTo(runner.growthPolicy().rowsGrown());
        assertThat(masks.values().stream().filter(m -> m == 1).count()).isPositive(); // and not every row
    }

    @Test
    void shouldFeedDimensionImportanceAndLeaveDroppedColumnsOutOfNewRows() {
        EmbeddingStore rows = store();
        PolicyRunner runner = runner("fiited-2d", PolicySettings.INTERVAL_STEPS, "10",
                PolicySettings.FIITED2D_COLDSTART_STEPS, "40", PolicySettings.FIITED2D_DROP_RATIO, "0.25");
        BatchTrainer trainer = trainer(rows, runner);
        long[] step = {0};
        train(trainer, runner, stream(320, 4), step); // 20 batches: before the cold start
        assertThat(runner.dimensionImportance().observations()).isPositive();
        assertThat(runner.droppedColumns()).isZero();
        train(trainer, runner, stream(480, 5), step); // 50 batches: the pass at 40 drops a column
        int dropped = runner.droppedColumns();
        assertThat(Integer.bitCount(dropped)).isEqualTo(1);
        assertThat(runner.initialMask()).isEqualTo(0b1111 & ~dropped);
        trainer.step(List.of(event(0, "brand-new", "u-new", 1)), step[0], (e, z) -> { });
        assertThat(masks(rows).get(FeatureKeys.key("ad", "brand-new"))).isEqualTo(0b1111 & ~dropped);
        assertThat(masks(rows).values()).allSatisfy(m -> assertThat(m & dropped).isZero());
    }

    @Test
    void shouldRunEveryPolicyTogetherDeterministically() {
        List<ClickEvent> events = stream(1600, 6);
        List<List<Float>> runs = new ArrayList<>();
        List<byte[]> digests = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            EmbeddingStore rows = store();
            PolicyRunner runner = runner("all", PolicySettings.INTERVAL_STEPS, "10", PolicySettings.ADMISSION_COUNT, "2",
                    PolicySettings.ADMISSION_SKETCH_WIDTH, "1024", PolicySettings.ESAPN_STATE_SLOTS, "1024",
                    PolicySettings.BUDGET_BYTES, "8000");
            BatchTrainer trainer = new BatchTrainer(SETTINGS, new PlainFmBatchModel(2, 8, 16, true), rows);
            trainer.policies(runner);
            runs.add(train(trainer, runner, events, new long[] {0}));
            PassReport last = runner.runPass(rows, 100);
            assertThat(last.bytesAfter()).isLessThanOrEqualTo(8000);
            digests.add(rows.digest());
        }
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
        assertThat(digests.get(1)).isEqualTo(digests.get(0));
    }

    /** Fraction of (positive, negative) pairs of the last {@code n} events that the logits rank right. */
    private static double auc(List<ClickEvent> events, List<Float> logits, int n) {
        long right = 0;
        long pairs = 0;
        for (int i = events.size() - n; i < events.size(); i++) {
            if (events.get(i).label() != 1) {
                continue;
            }
            for (int j = events.size() - n; j < events.size(); j++) {
                if (events.get(j).label() == 0) {
                    pairs++;
                    right += logits.get(i) > logits.get(j) ? 1 : 0;
                }
            }
        }
        return (double) right / pairs;
    }

    @Test
    void shouldStartAnAdmittedRowFromTheGatedSharedRowItRead() {
        for (boolean fromShared : new boolean[] {true, false}) {
            EmbeddingStore rows = store(1e-30f); // rows (and shared rows) keep the values they start with
            PolicyRunner runner = runner("adaembed", PolicySettings.ADMISSION_COUNT, "2",
                    PolicySettings.BUDGET_BYTES, "20000", PolicySettings.SHARED_ADAPTIVE, "false",
                    PolicySettings.SHARED_INIT, Boolean.toString(fromShared));
            BatchTrainer trainer = trainer(rows, runner);
            long ad = FeatureKeys.key("ad", "x");
            trainer.step(List.of(event(0, "x", "u", 1)), 0, (e, z) -> { });
            assertThat(masks(rows)).as("first sight: no row yet").doesNotContainKey(ad);
            float[] shared = new float[9];
            rows.shared().read(ad, 0, 8, shared, 0);
            shared[8] = rows.shared().linear(ad);
            float gate = rows.shared().gate(0); // field 'ad'
            trainer.step(List.of(event(1, "x", "u", 0)), 1, (e, z) -> { });
            float[] row = new float[9];
            assertThat(rows.read(ad, row, 0)).as("admitted at its second occurrence").isTrue();
            float[] expected = new float[9];
            rows.readNew(ad, expected, 0); // the store's own initialisation
            for (int i = 0; fromShared && i < 9; i++) {
                expected[i] = gate * shared[i];
            }
            assertThat(gate * Math.abs(shared[0])).as("the shared row is not zero").isPositive();
            for (int i = 0; i < 9; i++) {
                assertThat(row[i]).as("shared.init %s, dimension %d", fromShared, i).isCloseTo(expected[i], within(1e-20f));
            }
        }
    }

    @Test
    void shouldTrainOnlySharedHashedRowsInModeHash() {
        PolicyRunner runner = runner("hash", PolicySettings.BUDGET_BYTES, "8000", PolicySettings.INTERVAL_STEPS, "10");
        EmbeddingStore rows = store();
        BatchTrainer trainer = trainer(rows, runner);
        assertThat(rows.shared()).isNotNull();
        assertThat(rows.shared().rows()).isEqualTo(8000 / PolicySettings.sharedRowBytes(8));
        List<ClickEvent> events = stream(4_000, 3);
        List<Float> logits = train(trainer, runner, events, new long[1]);
        assertThat(rows.rowCount()).as("no feature gets a row of its own").isZero();
        assertThat(rows.storedBytes()).isEqualTo(rows.shared().bytes()).isLessThanOrEqualTo(8000);
        assertThat(auc(events, logits, 1_000)).as("the hashed rows learn the ads").isGreaterThan(0.8);
    }

    @Test
    void shouldReadAndTrainSharedRowsForRefusedFeaturesInsteadOfZeros() {
        // nine tenths of the budget are shared rows (7500 x 0.9 / 16 = 421 for the 220 features, so users
        // collide with ads): room for a handful of rows of their own
        PolicyRunner runner = runner("adaembed", PolicySettings.ADMISSION_COUNT, "1", PolicySettings.BUDGET_BYTES, "7500",
                PolicySettings.SHARED_FRACTION, "0.9", PolicySettings.SHARED_ADAPTIVE, "false");
        EmbeddingStore rows = store();
        BatchTrainer trainer = trainer(rows, runner);
        List<ClickEvent> events = stream(2_000, 4);
        List<Float> logits = train(trainer, runner, events, new long[1]);
        assertThat(rows.rowCount()).as("rows of their own").isLessThan(20);
        double shared = auc(events, logits, 500);

        // the same room for rows of their own, no shared rows: refused features read zeros
        PolicyRunner without = runner("adaembed", PolicySettings.ADMISSION_COUNT, "1", PolicySettings.BUDGET_BYTES, "750",
                PolicySettings.SHARED_FRACTION, "0");
        EmbeddingStore zeros = store();
        List<Float> flat = train(trainer(zeros, without), without, events, new long[1]);
        assertThat(zeros.shared()).isNull();
        assertThat(zeros.rowCount()).isLessThan(20);
        double flatAuc = auc(events, flat, 500);
        assertThat(shared).as("refused features still learn through their shared rows").isGreaterThan(0.8)
                .isGreaterThan(flatAuc + 0.1);
        // the label depends on the ad only: the gate of the users' shared rows (noise) shrinks more
        assertThat(rows.shared().gate(0)).as("ad gate").isGreaterThan(rows.shared().gate(1) + 0.05f);
        assertThat(rows.shared().gate(1)).as("user gate").isLessThan(SharedRows.INITIAL_GATE * 2);
    }

    @Test
    void shouldTrainTheSharedRowsOfPrunedChunksAndRebuildTheSameModel() {
        String[] settings = {PolicySettings.BUDGET_BYTES, "30000", PolicySettings.SHARED_FRACTION, "0.2",
            PolicySettings.INTERVAL_STEPS, "5"};
        EmbeddingStore a = store();
        PolicyRunner ra = runner("fiited-adaptive", settings);
        List<Float> la = train(trainer(a, ra), ra, stream(3_000, 5), new long[1]);
        EmbeddingStore b = store();
        PolicyRunner rb = runner("fiited-adaptive", settings);
        List<Float> lb = train(trainer(b, rb), rb, stream(3_000, 5), new long[1]);
        assertThat(lb).isEqualTo(la);
        assertThat(b.digest()).isEqualTo(a.digest());
        byte[] before = a.shared().exportState();
        b.shared().importState(before);
        assertThat(b.shared().exportState()).isEqualTo(before);
        assertThat(a.storedBytes()).isGreaterThan(a.shared().bytes());
        long pruned = masks(a).values().stream().filter(m -> m != 0b1111).count();
        assertThat(pruned).as("the budget pruned chunks, which read their shared rows").isPositive();
    }

    @Test
    void shouldHoldTheBudgetAtEveryStepNotOnlyAfterAPass() {
        for (String mode : List.of("adaembed", "fiited-adaptive", "esapn", "precision", "all")) {
            PolicyRunner runner = runner(mode, PolicySettings.BUDGET_BYTES, "12000", PolicySettings.INTERVAL_STEPS, "50",
                    PolicySettings.ADMISSION_COUNT, "1");
            EmbeddingStore rows = store();
            BatchTrainer trainer = trainer(rows, runner);
            List<ClickEvent> events = stream(4_000, 6);
            long step = 0;
            long peak = 0;
            for (int i = 0; i < events.size(); i += 16) {
                trainer.step(events.subList(i, i + 16), step++, (e, z) -> { });
                peak = Math.max(peak, rows.storedBytes());
                if (runner.isPassDue(step)) {
                    runner.runPass(rows, step);
                }
            }
            assertThat(peak).as(mode + ": the table's peak between passes").isLessThanOrEqualTo(12_000);
            assertThat(trainer.budgetRefused()).as(mode + ": rows waited for room").isPositive();
        }
    }

    @Test
    void shouldSizeTheSharedRowsToTheShareOfAccessesTheyServe() {
        // 220 features, room for a few dozen rows: most accesses fall back to the shared rows, so passes
        // double H (from 1/16 of the budget) towards 3/4 of it; the table stays within the budget
        // (rows of 2,2,2,2 fp32 are 82 bytes: 12,900 is the room 16,000 gave rows of 102 bytes before
        // #18's second round, and 20,000 rows of 128 bytes before its first)
        PolicyRunner tight = runner("adaembed", PolicySettings.ADMISSION_COUNT, "1", PolicySettings.BUDGET_BYTES, "12900",
                PolicySettings.SHARED_FRACTION, "0.07", PolicySettings.INTERVAL_STEPS, "5");
        EmbeddingStore rows = store();
        BatchTrainer trainer = trainer(rows, tight);
        int start = rows.shared().rows();
        train(trainer, tight, stream(3_000, 5), new long[1]);
        assertThat(Integer.bitCount(start)).isEqualTo(1);
        assertThat(rows.shared().rows()).as("H after the passes, from %d", start).isGreaterThanOrEqualTo(4 * start);
        assertThat(rows.storedBytes()).isLessThanOrEqualTo(12_900);

        // the same stream with room for every feature: nothing falls back, H shrinks to the floor
        PolicyRunner loose = runner("adaembed", PolicySettings.ADMISSION_COUNT, "1", PolicySettings.BUDGET_BYTES, "400000",
                PolicySettings.SHARED_FRACTION, "0.5", PolicySettings.INTERVAL_STEPS, "5");
        EmbeddingStore roomy = store();
        BatchTrainer second = trainer(roomy, loose);
        int before = roomy.shared().rows();
        train(second, loose, stream(3_000, 5), new long[1]);
        assertThat(roomy.shared().rows()).as("H after the passes, from %d", before).isLessThan(before);
        assertThat(roomy.shared().bytes()).isLessThanOrEqualTo(400_000 / 8);
    }
}
