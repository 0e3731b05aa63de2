package io.inflight.trainer.model;

import io.inflight.trainer.config.TrainerSettings;

/** Builds the configured {@link CtrModel}. */
public final class Models {

    private Models() {
    }

    public static CtrModel create(TrainerSettings s) {
        return switch (s.modelType()) {
            case "lr" -> new LogisticRegression(s.learningRate(), s.l2());
            case "fm" -> new FactorizationMachine(s.dim(), s.learningRate(), s.l2(), s.initStddev(), s.seed());
            default -> throw new IllegalArgumentException("unknown model type " + s.modelType());
        };
    }
}
