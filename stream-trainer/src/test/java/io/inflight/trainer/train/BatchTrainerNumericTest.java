package io.inflight.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.store.EmbeddingStore;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.NumericField;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.model.DeepBatchModel;
import io.inflight.trainer.model.DeepModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mini-batch trainer feeds the configured numeric fields to the dense layers: a label carried
 * only by a numeric field is learned when the field is configured, and not without it.
 */
class BatchTrainerNumericTest {

    private static final int BATCH = 32;

    /**
     * Two categorical fields of pure noise and a numeric field {@code x} spanning four orders of
     * magnitude (e^0 - 1 to e^8 - 1); the label is {@code x > e^4 - 1}, nothing else predicts it.
     */
    static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double threshold = Math.expm1(4);
        List<ClickEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double x = Math.expm1(8 * r.nextDouble());
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, x > threshold ? 1 : 0,
                    List.of(ClickEvent.Field.of("a", "a" + r.nextInt(50)), ClickEvent.Field.of("b", "b" + r.nextInt(50))),
                    List.of(new ClickEvent.Numeric("other", r.nextDouble()), new ClickEvent.Numeric("x", x))));
        }
        return out;
    }

    private static BatchSettings settings(String type, List<NumericField> numeric) {
        return new BatchSettings(type, List.of("a", "b"), numeric, 4, BATCH, List.of(16, 16), "relu", "adam", 0.01, 0.05,
                1e-6, 0.01, 7, 0);
    }

    /** Every event's pre-learning logit, in order. */
    private static float[] train(BatchSettings s, List<ClickEvent> events) {
        float[] logits = new float[events.size()];
        int[] next = {0};
        try (BatchModel model = BatchModels.create(s)) {
            BatchTrainer trainer = new BatchTrainer(s, model,
                    EmbeddingStore.inMemory("numeric-test", BatchTrainer.fullPrecision(s, 1 << 12)));
            long step = 0;
            for (int from = 0; from < events.size(); from += BATCH) {
                trainer.step(events.subList(from, Math.min(events.size(), from + BATCH)), step++,
                        (event, logit) -> logits[next[0]++] = logit);
            }
        }
        assertThat(next[0]).isEqualTo(events.size());
        return logits;
    }

    private static double auc(float[] logits, List<ClickEvent> events) {
        ProgressiveMetrics m = new ProgressiveMetrics(4096);
        for (int i = 0; i < logits.length; i++) {
            m.record(logits[i], events.get(i).label());
        }
        return m.summary().auc();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm"})
    void shouldLearnASignalCarriedOnlyByANumericField(String type) {
        List<ClickEvent> events = stream(4_000, 3);
        double with = auc(train(settings(type, List.of(NumericField.parse("x"))), events), events);
        double without = auc(train(settings(type, List.of()), events), events);
        assertThat(without).as("%s without the numeric field", type).isBetween(0.4, 0.6);
        assertThat(with).as("%s with x:log (without: %s)", type, without).isGreaterThan(0.9);
    }

    @Test
    void shouldGiveBitIdenticalScoresWithNumericFields() {
        List<ClickEvent> events = stream(1_000, 4);
        BatchSettings s = settings("deepfm", List.of(NumericField.parse("x"), NumericField.parse("other:none")));
        assertThat(train(s, events)).containsExactly(train(s, events));
    }

    @Test
    void shouldRefuseAModelWhoseNumericInputsDoNotMatchTheSettings() {
        BatchSettings s = settings("dnn", List.of(NumericField.parse("x")));
        try (DeepBatchModel model = new DeepBatchModel(new DeepModelSpec("dnn", 2, 4, 0, BATCH, List.of(16, 16), "relu",
                2, "adam", 0.01, 1e-6, 7))) {
            assertThatThrownBy(() -> new BatchTrainer(s, model,
                    EmbeddingStore.inMemory("numeric-test", BatchTrainer.fullPrecision(s, 1 << 12))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numeric inputs")
                    .hasMessageContaining("x:log");
        }
    }
}
