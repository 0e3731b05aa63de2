package io.inflight.trainer.model;

import io.inflight.trainer.config.BatchSettings;

/** The {@link BatchModelFactory} behind {@code inflight.model.type}. */
public final class BatchModels {

    private BatchModels() {
    }

    public static BatchModel create(BatchSettings s) {
        return switch (s.modelType()) {
            case "lr" -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), false);
            case "fm" -> new PlainFmBatchModel(s.slots(), s.dim(), s.batchSize(), true);
            case "dnn", "deepfm", "dcn" -> new DeepBatchModel(DeepModelSpec.from(s));
            default -> throw new IllegalArgumentException("model type " + s.modelType() + " is not available");
        };
    }
}
