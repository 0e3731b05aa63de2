package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.util.SplitMix64;
import io.inflight.trainer.config.BatchSettings;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The output bias's own optimizer ({@link BaseRate}) in every model type. */
class BaseRateTest {

    private static final int F = 3;
    private static final int D = 4;
    private static final int B = 1000;

    private static BatchModel model(String type) {
        return BatchModels.create(new BatchSettings(type, List.of("a", "b", "c"), D, B, List.of(6, 5), "relu", "adam",
                1e-3, 0.05, 1e-6, 0.01, 42, 1));
    }

    /** Labels with {@code clicks} ones among {@code B}, spread by {@code key}; inputs small random values. */
    private static float[][] batch(int clicks, long key) {
        float[] emb = new float[B * F * D];
        float[] lin = new float[B * F];
        for (int i = 0; i < emb.length; i++) {
            emb[i] = (float) (0.01 * SplitMix64.gaussian(3, key, i));
        }
        float[] labels = new float[B];
        for (int c = 0; c < clicks; c++) {
            labels[(int) ((c * 7919L + key) % B)] = 1f;
        }
        return new float[][] {emb, lin, new float[0], labels};
    }

    private static void train(BatchModel m, float[][] batch) {
        m.forward(batch[0], batch[1], batch[2], B, new float[B]);
        assertThat(m.backward(batch[3], B, new float[B * F * D], new float[B * F])).isTrue();
    }

    private static double meanPrediction(BatchModel m, float[][] batch) {
        float[] logits = new float[B];
        m.forward(batch[0], batch[1], batch[2], B, logits);
        double s = 0;
        for (float z : logits) {
            s += Losses.sigmoid(z);
        }
        return s / logits.length;
    }

    private static float[] dense(BatchModel m) {
        float[] d = new float[m.denseSize()];
        m.exportDense(d);
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"lr", "fm", "dnn", "deepfm", "dcn"})
    void shouldPredictTheClickRateOfTheFirstBatchAfterIt(String type) {
        for (int clicks : new int[] {3, 30, 600}) {
            try (BatchModel m = model(type)) {
                float[][] first = batch(clicks, 1);
                train(m, first);
                double rate = (clicks + 0.5) / (B + 1.0);
                assertThat(meanPrediction(m, batch(0, 2)) / rate).as("%s at %d clicks", type, clicks)
                        .isBetween(0.9, 1.1);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lr", "fm", "dnn", "deepfm", "dcn"})
    void shouldMoveTheBiasTowardTheObservedRateOfLaterBatches(String type) {
        try (BatchModel m = model(type)) {
            train(m, batch(10, 1));
            double before = meanPrediction(m, batch(0, 2));
            for (int k = 0; k < 20; k++) {
                train(m, batch(100, 10 + k)); // ten times the first batch's rate
            }
            double after = meanPrediction(m, batch(0, 2));
            assertThat(after).isGreaterThan(2 * before).isLessThan(0.1 * 1.1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lr", "fm", "dnn", "deepfm", "dcn"})
    void shouldContinueBitIdenticallyFromItsExportedState(String type) {
        try (BatchModel a = model(type); BatchModel b = model(type); BatchModel fresh = model(type)) {
            for (int k = 0; k < 3; k++) {
                train(a, batch(5 + 10 * k, k));
                train(b, batch(5 + 10 * k, k));
            }
            assertThat(dense(b)).isEqualTo(dense(a)); // deterministic
            BatchModel restored = model(type);
            restored.importDense(dense(a));
            float[] withoutCounts = dense(a); // the counts are the last floats (no dropout)
            Arrays.fill(withoutCounts, withoutCounts.length - BaseRate.STATE_FLOATS, withoutCounts.length, 0f);
            fresh.importDense(withoutCounts);
            float[][] next = batch(40, 9);
            train(a, next);
            train(restored, next);
            train(fresh, next);
            assertThat(dense(restored)).isEqualTo(dense(a));
            // without the counts the step is a first batch's: the bias is set, not stepped
            assertThat(dense(fresh)).isNotEqualTo(dense(a));
            restored.close();
        }
    }

    @org.junit.jupiter.api.Test
    void shouldTakeTheFirstBatchsGradientsAtItsClickRateOnly() {
        BaseRate rate = new BaseRate();
        float[] labels = new float[100];
        labels[3] = 1f; // 1 click in 100: log-odds of 1.5 / 99.5
        float[] logits = new float[100];
        Arrays.fill(logits, 0.25f);
        rate.shiftFirstBatch(0.25f, labels, logits, 100);
        assertThat((double) logits[0]).isCloseTo(Math.log(1.5 / 99.5), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(logits[99]).isEqualTo(logits[0]);
        rate.update(0f, labels, logits, 100);
        float[] later = new float[100];
        rate.shiftFirstBatch(-4f, labels, later, 100);
        assertThat(later).as("after the first batch nothing moves").containsOnly(0f);
    }
}
