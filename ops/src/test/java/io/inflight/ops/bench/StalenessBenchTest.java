package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingStore;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StalenessBenchTest {

    private static final CompressionBench.Stream STREAM = CompressionBench.generated(3_000, 8, 17);

    private static BatchSettings settings(String model) {
        return StalenessBench.settings(STREAM, model, new StalenessBench.Options(List.of(model), 100, 16,
                List.of(32, 32), List.of(StalenessBench.Cell.REFERENCE), Map.of()));
    }

    @Test
    void theReferenceCellTrainsExactlyAsInProcessRun() {
        BatchSettings s = settings("deepfm");
        PairedAuc.Scores stale = new PairedAuc.Scores();
        StalenessBench.Measured m = StalenessBench.train(s, StalenessBench.Cell.REFERENCE, STREAM.open().get(), stale);
        PairedAuc.Scores plain = new PairedAuc.Scores();
        InProcessRun.Result r;
        try (BatchModel model = BatchModels.create(s)) {
            r = InProcessRun.run(s, BatchTrainer.fullPrecision(s, InProcessRun.MAX_ROWS),
                    PolicySettings.defaults().with(PolicySettings.MODE, "none"), model, STREAM.open().get(), 4096, 0, null,
                    plain);
        }
        assertThat(m.metrics().events()).isEqualTo(3_000);
        assertThat(m.metrics()).isEqualTo(r.metrics()); // AUC, log-loss, NE, calibration: bit for bit
        PairedAuc.Result paired = PairedAuc.compare(plain, stale);
        assertThat(paired.delta()).isZero();
        assertThat(paired.se()).isZero(); // every event scored the same
        assertThat(m.batches()).isEqualTo(30);
        assertThat(m.stride()).isEqualTo(17);
    }

    @Test
    void aWindowDelaysEveryUpdateByExactlyThatManyBatchesThenFlushes() {
        BatchSettings s = settings("fm");
        EmbeddingStore store = EmbeddingStore.inMemory("t", BatchTrainer.fullPrecision(s, 1000));
        StaleRows rows = new StaleRows(store, 3);
        long[] keys = {42L};
        int[] acc = {1};
        float[] grad = new float[17];
        Arrays.fill(grad, 0.5f);
        float[] fresh = new float[17];
        store.readNew(42L, fresh, 0);
        float[] got = new float[17];
        rows.begin(0);
        rows.gather(keys, 1, got);
        rows.scatter(keys, acc, 1, grad, 0);
        Arrays.fill(grad, 9f); // the queued scatter kept a copy
        for (int b = 1; b <= 2; b++) {
            rows.begin(b);
            rows.gather(keys, 1, got);
            assertThat(got).as("batch %d reads batch 0's update only from batch 3", b).containsExactly(fresh);
            assertThat(store.rowCount()).isZero();
        }
        rows.begin(3);
        rows.gather(keys, 1, got);
        assertThat(store.rowCount()).isEqualTo(1);
        assertThat(got[0]).isLessThan(fresh[0]); // a positive gradient lowered it
        EmbeddingStore direct = EmbeddingStore.inMemory("d", BatchTrainer.fullPrecision(s, 1000));
        Arrays.fill(grad, 0.5f);
        direct.scatter(keys, acc, 1, grad, 0);
        float[] want = new float[17];
        direct.gather(keys, 1, want);
        assertThat(got).containsExactly(want);
        rows.scatter(keys, acc, 1, grad, 3);
        assertThat(rows.pending()).isEqualTo(1);
        rows.flush();
        assertThat(rows.pending()).isZero();
        assertThat(rows.gathers()).isEqualTo(4);
        assertThat(rows.meanKeysPerBatch()).isEqualTo(1.0);
        assertThatThrownBy(() -> rows.begin(3)).hasMessageContaining("batch 3 does not follow batch 3");
        assertThatThrownBy(() -> new StaleRows(store, 0)).hasMessageContaining("window must be >= 1 batch, got 0");
    }

    @Test
    void averagingSetsEveryReplicasParametersToTheMeanAndKeepsItsOptimizerState() {
        BatchSettings s = settings("deepfm");
        List<BatchModel> models = List.of(BatchModels.create(s), BatchModels.create(s));
        try {
            EmbeddingStore store = EmbeddingStore.inMemory("t", BatchTrainer.fullPrecision(s, 100_000));
            Iterator<ClickEvent> it = STREAM.open().get();
            for (int step = 0; step < 4; step++) { // replica 0 trains batches 0 and 2, replica 1 batches 1 and 3
                BatchTrainer t = new BatchTrainer(s, models.get(step % 2), store);
                List<ClickEvent> batch = new ArrayList<>();
                while (batch.size() < 100) {
                    batch.add(it.next());
                }
                t.step(batch, step, (e, logit) -> { });
            }
            int p = models.get(0).parameterCount();
            int size = models.get(0).denseSize();
            assertThat(p).isPositive().isLessThan(size);
            float[][] before = new float[2][size];
            models.get(0).exportDense(before[0]);
            models.get(1).exportDense(before[1]);
            assertThat(Arrays.copyOf(before[0], p)).isNotEqualTo(Arrays.copyOf(before[1], p));
            new StalenessBench.DenseAverage(models).run();
            float[][] after = new float[2][size];
            models.get(0).exportDense(after[0]);
            models.get(1).exportDense(after[1]);
            for (int i = 0; i < p; i++) {
                assertThat(after[0][i]).isEqualTo(after[1][i]).isEqualTo((float) ((before[0][i] + (double) before[1][i]) / 2));
            }
            for (int t = 0; t < 2; t++) {
                assertThat(Arrays.copyOfRange(after[t], p, size)).as("replica %d's optimizer state", t)
                        .containsExactly(Arrays.copyOfRange(before[t], p, size));
            }
        } finally {
            models.forEach(BatchModel::close);
        }
    }

    @Test
    void theDefaultGridIsEveryWindowAloneThenTheTrainersAtWindowFour() {
        List<StalenessBench.Cell> g = StalenessBench.grid(List.of(1, 2, 4, 8, 16), List.of(1, 2, 4), List.of(1, 10, 100), 4);
        assertThat(g).hasSize(11);
        assertThat(g.get(0)).isEqualTo(StalenessBench.Cell.REFERENCE);
        assertThat(g.subList(0, 5)).extracting(StalenessBench.Cell::window).containsExactly(1, 2, 4, 8, 16);
        assertThat(g.subList(5, 11)).allMatch(c -> c.window() == 4 && c.trainers() > 1);
        assertThat(StalenessBench.grid(List.of(8), List.of(1), List.of(1), 4))
                .containsExactly(StalenessBench.Cell.REFERENCE, new StalenessBench.Cell(8, 1, 0));
        assertThatThrownBy(() -> StalenessBench.grid(List.of(1), List.of(0), List.of(1), 4))
                .hasMessageContaining("--trainers").hasMessageContaining("got 0");
    }
}
