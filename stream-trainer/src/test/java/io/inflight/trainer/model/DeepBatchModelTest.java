package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeepBatchModelTest {

    private static final int F = 3;
    private static final int D = 2;
    private static final int CAP = 4;
    private static final int B = 3;

    private static DeepModelSpec tiny(String type, String activation, int numeric, String optimizer) {
        return new DeepModelSpec(type, F, D, numeric, CAP, List.of(5, 4), activation, 2, optimizer, 0.01, 0.0, 11);
    }

    static Stream<Arguments> gradientCases() {
        return Stream.of(
                Arguments.of("dnn", "tanh", 0), Arguments.of("dnn", "relu", 0), Arguments.of("dnn", "tanh", 2),
                Arguments.of("deepfm", "tanh", 0), Arguments.of("deepfm", "relu", 0),
                Arguments.of("dcn", "tanh", 0), Arguments.of("dcn", "relu", 2));
    }

    /** One batch of inputs drawn from {@code key}. */
    private record Batch(float[] emb, float[] lin, float[] num, float[] labels) {
        static Batch draw(int b, int numeric, long key) {
            float[] emb = new float[b * F * D];
            float[] lin = new float[b * F];
            float[] num = new float[b * numeric];
            float[] labels = new float[b];
            for (int i = 0; i < emb.length; i++) {
                emb[i] = (float) (0.7 * SplitMix64.gaussian(5, key, i));
            }
            for (int i = 0; i < lin.length; i++) {
                lin[i] = (float) (0.3 * SplitMix64.gaussian(6, key, i));
            }
            for (int i = 0; i < num.length; i++) {
                num[i] = (float) SplitMix64.gaussian(7, key, i);
            }
            for (int e = 0; e < b; e++) {
                labels[e] = SplitMix64.uniform(8, key, e) < 0.5 ? 1f : 0f;
            }
            return new Batch(emb, lin, num, labels);
        }
    }

    private static double meanLoss(BatchModel m, Batch batch, int b) {
        float[] logits = new float[b];
        m.forward(batch.emb, batch.lin, batch.num, b, logits);
        double loss = 0;
        for (int e = 0; e < b; e++) {
            double z = logits[e];
            loss += Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - batch.labels[e] * z;
        }
        return loss / b;
    }

    private static void assertGradient(double analytic, double numeric, String what) {
        assertThat(Math.abs(analytic - numeric))
                .as("%s: analytic %s vs finite difference %s", what, analytic, numeric)
                .isLessThanOrEqualTo(3e-4 + 3e-2 * Math.abs(numeric));
    }

    /**
     * Checks {@code grad[0, n)} against central differences (step 3e-3) of {@code probe}'s mean loss
     * on {@code batch} in each input {@code x[i]} (an array of the batch); returns the largest |grad|.
     */
    private static double assertCentralDifferences(BatchModel probe, Batch batch, float[] x, int n, float[] grad,
                                                   String what) {
        double h = 3e-3;
        double maxGrad = 0;
        for (int i = 0; i < n; i++) {
            float saved = x[i];
            x[i] = (float) (saved + h);
            double up = meanLoss(probe, batch, B);
            x[i] = (float) (saved - h);
            double down = meanLoss(probe, batch, B);
            x[i] = saved;
            assertGradient(grad[i], (up - down) / (2 * h), what + "[" + i + "]");
            maxGrad = Math.max(maxGrad, Math.abs(grad[i]));
        }
        return maxGrad;
    }

    @ParameterizedTest
    @MethodSource("gradientCases")
    void shouldMatchFiniteDifferencesOfTheInputGradients(String type, String activation, int numeric) {
        Batch batch = Batch.draw(B, numeric, 1);
        float[] embGrad = new float[CAP * F * D];
        float[] linGrad = new float[CAP * F];
        try (DeepBatchModel learner = new DeepBatchModel(tiny(type, activation, numeric, "adam"));
             DeepBatchModel probe = new DeepBatchModel(tiny(type, activation, numeric, "adam"))) {
            pastFirstBatch(learner, probe, numeric);
            learner.forward(batch.emb, batch.lin, batch.num, B, new float[B]);
            assertThat(learner.backward(batch.labels, B, embGrad, linGrad)).isTrue();
            double maxGrad = assertCentralDifferences(probe, batch, batch.emb, B * F * D, embGrad, type + " emb");
            assertThat(maxGrad).as("the embedding gradient is not trivially zero").isGreaterThan(1e-3);
            assertCentralDifferences(probe, batch, batch.lin, B * F, linGrad, type + " lin");
        }
    }

    @ParameterizedTest
    @MethodSource("gradientCases")
    void shouldMatchFiniteDifferencesOfTheDenseGradient(String type, String activation, int numeric) {
        Batch batch = Batch.draw(B, numeric, 2);
        try (DeepBatchModel learner = new DeepBatchModel(tiny(type, activation, numeric, "adam"));
             DeepBatchModel probe = new DeepBatchModel(tiny(type, activation, numeric, "adam"))) {
            pastFirstBatch(learner, probe, numeric);
            learner.forward(batch.emb, batch.lin, batch.num, B, new float[B]);
            assertThat(learner.backward(batch.labels, B, new float[CAP * F * D], new float[CAP * F])).isTrue();
            float[] grad = learner.lastDenseGradient().clone();
            float[] dense = new float[probe.denseSize()];
            probe.exportDense(dense);
            double h = 3e-3;
            int checked = 0;
            for (int i = 0; i < probe.parameterCount(); i += 3) {
                float saved = dense[i];
                dense[i] = (float) (saved + h);
                probe.importDense(dense);
                double up = meanLoss(probe, batch, B);
                dense[i] = (float) (saved - h);
                probe.importDense(dense);
                double down = meanLoss(probe, batch, B);
                dense[i] = saved;
                assertGradient(grad[i], (up - down) / (2 * h), type + " dense[" + i + "]");
                checked++;
            }
            assertThat(checked).isGreaterThan(20);
        }
    }

    /**
     * One identical step on both models, so the checked batch is not the first: the first batch's
     * gradients are taken at the bias its click rate sets ({@code BaseRate}), not at the logits the
     * loss of the forward pass has.
     */
    private static void pastFirstBatch(DeepBatchModel learner, DeepBatchModel probe, int numeric) {
        Batch warm = Batch.draw(B, numeric, 99);
        for (DeepBatchModel m : List.of(learner, probe)) {
            m.forward(warm.emb, warm.lin, warm.num, B, new float[B]);
            assertThat(m.backward(warm.labels, B, new float[CAP * F * D], new float[CAP * F])).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldGiveBitIdenticalResultsOnTwoInstances(String type) {
        try (DeepBatchModel a = new DeepBatchModel(tiny(type, "relu", 0, "adam"));
             DeepBatchModel b = new DeepBatchModel(tiny(type, "relu", 0, "adam"))) {
            for (int step = 0; step < 5; step++) {
                Batch batch = Batch.draw(CAP, 0, 100 + step);
                float[] la = stepAndScore(a, batch, CAP);
                float[] lb = stepAndScore(b, batch, CAP);
                assertThat(Arrays.equals(la, lb)).as("logits of step %d", step).isTrue();
            }
            assertThat(Arrays.equals(export(a), export(b))).isTrue();
            assertThat(a.lastLoss()).isEqualTo(b.lastLoss());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adam", "adagrad"})
    void shouldContinueIdenticallyAfterAnExportImportRoundTrip(String optimizer) {
        for (String type : List.of("dnn", "deepfm", "dcn")) {
            try (DeepBatchModel a = new DeepBatchModel(tiny(type, "tanh", 0, optimizer));
                 DeepBatchModel b = new DeepBatchModel(
                         new DeepModelSpec(type, F, D, 0, CAP, List.of(5, 4), "tanh", 2, optimizer, 0.01, 0.0, 999))) {
                for (int step = 0; step < 3; step++) {
                    stepAndScore(a, Batch.draw(CAP, 0, 200 + step), CAP);
                }
                float[] saved = export(a);
                assertThat(Arrays.equals(saved, export(b))).as("different seeds start apart").isFalse();
                b.importDense(saved);
                assertThat(Arrays.equals(export(b), saved)).isTrue();
                for (int step = 3; step < 6; step++) {
                    Batch batch = Batch.draw(CAP, 0, 200 + step);
                    assertThat(Arrays.equals(stepAndScore(a, batch, CAP), stepAndScore(b, batch, CAP))).isTrue();
                }
                assertThat(Arrays.equals(export(a), export(b))).as(type + " dense state after 3 more steps").isTrue();
            }
        }
    }

    private static DeepModelSpec withDropout(String type, double dropout) {
        return new DeepModelSpec(type, F, D, 0, CAP, List.of(5, 4), "relu", 2, "adam", 0.01, 0.0, 11, dropout);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldScoreWithTheWholeNetworkAndTrainAThinnedOne(String type) {
        try (DeepBatchModel plain = new DeepBatchModel(withDropout(type, 0));
             DeepBatchModel dropped = new DeepBatchModel(withDropout(type, 0.5))) {
            assertThat(dropped.denseSize()).isEqualTo(plain.denseSize() + 2); // the step counter
            assertThat(dropped.parameterCount()).isEqualTo(plain.parameterCount());
            Batch batch = Batch.draw(CAP, 0, 400);
            float[] a = new float[CAP];
            float[] b = new float[CAP];
            plain.forward(batch.emb, batch.lin, batch.num, CAP, a);
            dropped.forward(batch.emb, batch.lin, batch.num, CAP, b);
            assertThat(b).containsExactly(a); // scoring uses every unit, unscaled
            float[] gradA = new float[CAP * F * D];
            float[] gradB = new float[CAP * F * D];
            assertThat(plain.backward(batch.labels, CAP, gradA, new float[CAP * F])).isTrue();
            assertThat(dropped.backward(batch.labels, CAP, gradB, new float[CAP * F])).isTrue();
            assertThat(gradB).isNotEqualTo(gradA); // the step trained a thinned network
            float[] state = export(dropped);
            assertThat(state[state.length - 2]).isZero();
            assertThat(state[state.length - 1]).isEqualTo(1f); // one step applied
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldMatchFiniteDifferencesOfTheThinnedNetwork(String type) {
        DeepModelSpec spec = new DeepModelSpec(type, F, D, 0, CAP, List.of(5, 4), "tanh", 2, "adam", 0.01, 0.0, 11, 0.4);
        Batch batch = Batch.draw(B, 0, 2);
        float[] embGrad = new float[CAP * F * D];
        try (DeepBatchModel learner = new DeepBatchModel(spec); DeepBatchModel probe = new DeepBatchModel(spec)) {
            learner.forward(batch.emb, batch.lin, batch.num, B, new float[B]);
            assertThat(learner.backward(batch.labels, B, embGrad, new float[CAP * F])).isTrue();
            double h = 3e-3;
            int differs = 0;
            for (int i = 0; i < B * F * D; i++) {
                float saved = batch.emb[i];
                batch.emb[i] = (float) (saved + h);
                double up = probe.trainingLoss(batch.emb, batch.lin, batch.num, batch.labels, B);
                batch.emb[i] = (float) (saved - h);
                double down = probe.trainingLoss(batch.emb, batch.lin, batch.num, batch.labels, B);
                batch.emb[i] = saved;
                double numeric = (up - down) / (2 * h);
                assertGradient(embGrad[i], numeric, type + " emb[" + i + "] with dropout");
                differs += Math.abs(numeric - (meanLoss(probe, shifted(batch, i, h), B) - meanLoss(probe, shifted(batch, i, -h),
                        B)) / (2 * h)) > 1e-3 ? 1 : 0;
            }
            assertThat(differs).as("the thinned network's gradient is not the whole network's").isPositive();
        }
    }

    private static Batch shifted(Batch batch, int i, double h) {
        float[] emb = batch.emb.clone();
        emb[i] += (float) h;
        return new Batch(emb, batch.lin, batch.num, batch.labels);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldDrawTheSameDropoutMasksAfterAnExportImportRoundTrip(String type) {
        try (DeepBatchModel a = new DeepBatchModel(withDropout(type, 0.3));
             DeepBatchModel b = new DeepBatchModel(withDropout(type, 0.3));
             DeepBatchModel fresh = new DeepBatchModel(withDropout(type, 0.3))) {
            for (int step = 0; step < 3; step++) {
                stepAndScore(a, Batch.draw(CAP, 0, 500 + step), CAP);
            }
            float[] saved = export(a);
            b.importDense(saved);
            float[] withoutCounter = saved.clone();
            withoutCounter[saved.length - 1] = 0; // the parameters alone: masks drawn from step 0 again
            fresh.importDense(withoutCounter);
            for (int step = 3; step < 6; step++) {
                Batch batch = Batch.draw(CAP, 0, 500 + step);
                assertThat(stepAndScore(b, batch, CAP)).containsExactly(stepAndScore(a, batch, CAP));
                stepAndScore(fresh, batch, CAP);
            }
            assertThat(export(b)).containsExactly(export(a));
            assertThat(Arrays.equals(export(fresh), export(a))).isFalse();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldRefuseANonFiniteStepAndLeaveTheDenseStateUnchanged(String type) {
        try (DeepBatchModel m = new DeepBatchModel(tiny(type, "relu", 0, "adam"))) {
            stepAndScore(m, Batch.draw(CAP, 0, 300), CAP);
            float[] before = export(m);
            Batch bad = Batch.draw(CAP, 0, 301);
            bad.emb[5] = Float.NaN;
            float[] logits = new float[CAP];
            m.forward(bad.emb, bad.lin, bad.num, CAP, logits);
            assertThat(m.backward(bad.labels, CAP, new float[CAP * F * D], new float[CAP * F])).isFalse();
            assertThat(Arrays.equals(export(m), before)).isTrue();

            Batch huge = Batch.draw(CAP, 0, 302);
            huge.emb[0] = Float.MAX_VALUE;
            huge.emb[1] = Float.MAX_VALUE;
            m.forward(huge.emb, huge.lin, huge.num, CAP, logits);
            assertThat(m.backward(huge.labels, CAP, new float[CAP * F * D], new float[CAP * F])).isFalse();
            assertThat(Arrays.equals(export(m), before)).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldScoreAShortBatchLikeTheFirstRowsOfAFullOne(String type) {
        try (DeepBatchModel m = new DeepBatchModel(tiny(type, "relu", 2, "adam"))) {
            Batch batch = Batch.draw(CAP, 2, 400);
            float[] full = new float[CAP];
            float[] part = new float[B];
            m.forward(batch.emb, batch.lin, batch.num, CAP, full);
            m.forward(batch.emb, batch.lin, batch.num, B, part);
            for (int e = 0; e < B; e++) {
                assertThat(part[e]).isCloseTo(full[e], Assertions.within(1e-5f));
            }
            assertThatThrownBy(() -> m.backward(batch.labels, CAP, new float[CAP * F * D], new float[CAP * F]))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("forward");
        }
    }

    static float[] stepAndScore(BatchModel m, Batch batch, int b) {
        float[] logits = new float[b];
        m.forward(batch.emb, batch.lin, batch.num, b, logits);
        assertThat(m.backward(batch.labels, b, new float[b * F * D], new float[b * F])).isTrue();
        return logits;
    }

    static float[] export(BatchModel m) {
        float[] d = new float[m.denseSize()];
        m.exportDense(d);
        return d;
    }
}
