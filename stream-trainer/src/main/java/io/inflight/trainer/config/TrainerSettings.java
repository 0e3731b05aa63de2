package io.inflight.trainer.config;

import io.inflight.topics.EventLimits;
import java.util.Set;

/**
 * The validated settings the trainer's processor needs, independent of Kafka configuration.
 *
 * @param modelType        "lr" or "fm"
 * @param dim              embedding dimension D (fm)
 * @param learningRate     Adagrad learning rate
 * @param l2               L2 regularisation per touched row
 * @param initStddev       standard deviation of initial embedding values
 * @param seed             seed of every counter-based random draw
 * @param aucBins          bins of the progressive-AUC logit histogram
 * @param predictions      whether to publish pre-learning scores
 * @param limits           input limits; violations are dead-lettered
 * @param windowEvents     events in the sliding window of the recent-window metrics
 * @param inputFormat      wire format of the clicks topic: binary (the default codec) or json
 */
public record TrainerSettings(String modelType, int dim, double learningRate, double l2, double initStddev,
                              long seed, int aucBins, boolean predictions, EventLimits limits, long windowEvents,
                              String inputFormat) {

    /** The default sliding window: 100,000 events. */
    public static final long DEFAULT_WINDOW = 100_000L;

    public TrainerSettings {
        if (!Set.of("lr", "fm", "dnn", "deepfm", "dcn").contains(modelType)) {
            throw new IllegalArgumentException("modelType must be lr, fm, dnn, deepfm or dcn, got " + modelType);
        }
        if (dim < 1 || dim > 256) {
            throw new IllegalArgumentException("dim must be in [1, 256], got " + dim);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive and finite, got " + learningRate);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("l2 must be >= 0 and finite, got " + l2);
        }
        if (!(initStddev >= 0) || !Double.isFinite(initStddev)) {
            throw new IllegalArgumentException("initStddev must be >= 0 and finite, got " + initStddev);
        }
        if (windowEvents < 10) {
            throw new IllegalArgumentException("windowEvents must be >= 10, got " + windowEvents);
        }
        if (!"binary".equals(inputFormat) && !"json".equals(inputFormat)) {
            throw new IllegalArgumentException("inputFormat must be binary or json, got " + inputFormat);
        }
        if (aucBins < 64) {
            throw new IllegalArgumentException("aucBins must be >= 64, got " + aucBins);
        }
    }

    /** Defaults: FM, D = 8, learning rate 0.05, L2 1e-6, seed 42. */
    public static TrainerSettings defaults() {
        return new TrainerSettings("fm", 8, 0.05, 1e-6, 0.01, 42L, 4096, false, EventLimits.DEFAULTS, DEFAULT_WINDOW, "binary");
    }
}
