package io.inflight.trainer.config;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The learning rates a model trains with when {@value InflightConfig#LEARNING_RATE} or
 * {@value InflightConfig#DENSE_LEARNING_RATE} is not set: per model type, chosen by the best mean
 * progressive AUC over the shared logs at the default batch size (README, "Default learning rates").
 *
 * @param embedding row-wise Adagrad learning rate of the embedding rows and first-order weights
 * @param dense     learning rate of the dense optimizer (dnn, deepfm, dcn; lr and fm have no dense layers)
 */
public record ModelDefaults(double embedding, double dense) {

    private static final Map<String, ModelDefaults> BY_MODEL = Map.of(
            "lr", new ModelDefaults(0.1, 3e-4),
            "fm", new ModelDefaults(0.05, 3e-4),
            "dnn", new ModelDefaults(0.05, 3e-4),
            "deepfm", new ModelDefaults(0.05, 3e-4),
            "dcn", new ModelDefaults(0.05, 3e-4));

    /** The defaults of {@code modelType} (lr, fm, dnn, deepfm or dcn). */
    public static ModelDefaults of(String modelType) {
        ModelDefaults d = BY_MODEL.get(modelType);
        if (d == null) {
            throw new IllegalArgumentException("model type must be lr, fm, dnn, deepfm or dcn, got " + modelType);
        }
        return d;
    }

    /** "lr 0.05, fm 0.05, ..." of one of the two rates, for the keys' documentation. */
    static String describe(boolean denseRate) {
        return List.of("lr", "fm", "dnn", "deepfm", "dcn").stream()
                .filter(m -> !denseRate || !m.equals("lr") && !m.equals("fm"))
                .map(m -> m + " " + (denseRate ? of(m).dense() : of(m).embedding()))
                .collect(Collectors.joining(", "));
    }
}
