package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.util.SplitMix64;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each deep model learns a label that depends only on an interaction of two fields (the XOR of
 * their values' parities), from fixed random embeddings: no single field predicts it.
 */
class DeepModelLearningTest {

    private static final int FIELDS = 4;
    private static final int DIM = 4;
    private static final int VOCAB = 4;
    private static final int BATCH = 64;

    private static void draw(long batchKey, float[] emb, float[] labels) {
        for (int e = 0; e < BATCH; e++) {
            int[] values = new int[FIELDS];
            for (int s = 0; s < FIELDS; s++) {
                values[s] = (int) (SplitMix64.uniform(3, batchKey * BATCH + e, s) * VOCAB);
                for (int j = 0; j < DIM; j++) {
                    emb[(e * FIELDS + s) * DIM + j] =
                            (float) (0.5 * SplitMix64.gaussian(4, s * VOCAB + values[s], j));
                }
            }
            labels[e] = ((values[0] ^ values[1]) & 1) == 1 ? 1f : 0f;
        }
    }

    private static double loss(BatchModel m, float[] emb, float[] lin, float[] labels) {
        float[] logits = new float[BATCH];
        m.forward(emb, lin, new float[0], BATCH, logits);
        double sum = 0;
        for (int e = 0; e < BATCH; e++) {
            sum += Losses.logLoss(logits[e], (int) labels[e]);
        }
        return sum / BATCH;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldLearnATwoFieldInteraction(String type) {
        learn(type, 0.0, 0.2);
    }

    /** With dropout the thinned networks still learn it (more slowly: a looser bound). */
    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm"})
    void shouldLearnATwoFieldInteractionWithDropout(String type) {
        learn(type, 0.2, 0.35);
    }

    private static void learn(String type, double dropout, double maxLoss) {
        DeepModelSpec spec = new DeepModelSpec(type, FIELDS, DIM, 0, BATCH, List.of(16, 16), "relu", 2, "adam",
                0.01, 1e-6, 21, dropout);
        float[] emb = new float[BATCH * FIELDS * DIM];
        float[] lin = new float[BATCH * FIELDS];
        float[] labels = new float[BATCH];
        float[] evalEmb = new float[emb.length];
        float[] evalLabels = new float[BATCH];
        draw(-1, evalEmb, evalLabels);
        float[] logits = new float[BATCH];
        float[] embGrad = new float[emb.length];
        float[] linGrad = new float[lin.length];
        try (DeepBatchModel m = new DeepBatchModel(spec)) {
            double before = loss(m, evalEmb, lin, evalLabels);
            for (int step = 0; step < 300; step++) {
                draw(step, emb, labels);
                m.forward(emb, lin, new float[0], BATCH, logits);
                assertThat(m.backward(labels, BATCH, embGrad, linGrad)).isTrue();
            }
            double after = loss(m, evalEmb, lin, evalLabels);
            assertThat(before).isGreaterThan(0.6);
            assertThat(after).as("%s eval loss %s -> %s", type, before, after).isLessThan(maxLoss);
        }
    }
}
