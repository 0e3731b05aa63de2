package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.trainer.config.BatchSettings;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BatchModelsTest {

    private static BatchSettings settings(String type, String optimizer, String activation) {
        return new BatchSettings(type, List.of("a", "b", "c"), 4, 8, List.of(6, 5), activation, optimizer, 1e-3,
                0.05, 1e-6, 0.01, 42, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldBuildTheDeepModelsFromSettings(String type) {
        try (BatchModel adam = BatchModels.create(settings(type, "adam", "relu"));
             BatchModel adagrad = BatchModels.create(settings(type, "adagrad", "tanh"))) {
            assertThat(adam.name()).isEqualTo(type);
            assertThat(adam.fields()).isEqualTo(3);
            assertThat(adam.dim()).isEqualTo(4);
            assertThat(adam.batchCapacity()).isEqualTo(8);
            assertThat(adam.numericFields()).isZero();
            int params = ((DeepBatchModel) adam).parameterCount();
            // Adam keeps m, v and a two-float step count; Adagrad one accumulator per parameter; then the
            // output bias's counts.
            assertThat(adam.denseSize()).isEqualTo(3 * params + 2 + BaseRate.STATE_FLOATS);
            assertThat(adagrad.denseSize()).isEqualTo(2 * params + BaseRate.STATE_FLOATS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dnn", "deepfm", "dcn"})
    void shouldNameTheBadSettingInTheError(String type) {
        assertThatThrownBy(() -> BatchModels.create(settings(type, "sgd", "relu")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sgd");
        assertThatThrownBy(() -> BatchModels.create(settings(type, "adam", "gelu")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gelu");
        BatchSettings noHidden = new BatchSettings(type, List.of("a"), 4, 8, List.of(), "relu", "adam", 1e-3,
                0.05, 1e-6, 0.01, 42, 1);
        assertThatThrownBy(() -> BatchModels.create(noHidden))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hidden");
    }
}
