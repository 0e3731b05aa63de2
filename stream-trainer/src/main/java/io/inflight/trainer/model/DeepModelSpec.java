package io.inflight.trainer.model;

import io.inflight.trainer.config.BatchSettings;
import java.util.List;
import java.util.Set;

/**
 * Shape and training settings of a {@link DeepBatchModel}.
 *
 * @param type          dnn, deepfm or dcn
 * @param fields        categorical fields F (embedding slots)
 * @param dim           embedding dimension D
 * @param numericFields numeric inputs appended to the F·D embedding inputs of the dense layers
 * @param batchCapacity largest batch, the size of every preallocated buffer
 * @param hidden        hidden layer sizes of the MLP (at least one)
 * @param activation    relu or tanh
 * @param crossLayers   cross layers of dcn (ignored by the others)
 * @param optimizer     adam or adagrad
 * @param learningRate  learning rate of the dense optimizer
 * @param l2            L2 added to the gradient of every dense weight (not biases)
 * @param seed          seed of the initial weights and of the dropout draws
 * @param dropout       dropout rate of the MLP's hidden units while training, in [0, 1); 0: off
 */
public record DeepModelSpec(String type, int fields, int dim, int numericFields, int batchCapacity,
                            List<Integer> hidden, String activation, int crossLayers, String optimizer,
                            double learningRate, double l2, long seed, double dropout) {

    /** Cross layers of dcn built from {@link BatchSettings}. */
    public static final int DEFAULT_CROSS_LAYERS = 2;

    private static final Set<String> TYPES = Set.of("dnn", "deepfm", "dcn");

    public DeepModelSpec {
        hidden = List.copyOf(hidden);
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("deep model type must be dnn, deepfm or dcn, got " + type);
        }
        if (fields < 1 || dim < 1 || numericFields < 0 || batchCapacity < 1) {
            throw new IllegalArgumentException("model " + type + ": fields, dim and batch capacity must be >= 1 and "
                    + "numeric fields >= 0, got fields=" + fields + " dim=" + dim + " batchCapacity=" + batchCapacity
                    + " numericFields=" + numericFields);
        }
        if (hidden.isEmpty() || hidden.stream().anyMatch(h -> h < 1)) {
            throw new IllegalArgumentException("model " + type + " needs hidden layer sizes >= 1, got " + hidden);
        }
        Activation.parse(activation);
        if (crossLayers < 1) {
            throw new IllegalArgumentException("cross layers must be >= 1, got " + crossLayers);
        }
        if (!(learningRate > 0) || !(l2 >= 0)) {
            throw new IllegalArgumentException("dense learning rate must be > 0 and l2 >= 0, got " + learningRate
                    + " and " + l2);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (!optimizer.equals("adam") && !optimizer.equals("adagrad")) {
            throw new IllegalArgumentException("optimizer must be adam or adagrad, got " + optimizer);
        }
    }

    /** A spec without dropout. */
    public DeepModelSpec(String type, int fields, int dim, int numericFields, int batchCapacity, List<Integer> hidden,
                         String activation, int crossLayers, String optimizer, double learningRate, double l2, long seed) {
        this(type, fields, dim, numericFields, batchCapacity, hidden, activation, crossLayers, optimizer, learningRate, l2,
                seed, 0.0);
    }

    /** The spec of {@code settings}: one numeric input per numeric field, {@link #DEFAULT_CROSS_LAYERS}. */
    public static DeepModelSpec from(BatchSettings s) {
        return new DeepModelSpec(s.modelType(), s.slots(), s.dim(), s.numericInputs(), s.batchSize(), s.hidden(), s.activation(),
                DEFAULT_CROSS_LAYERS, s.optimizer(), s.denseLearningRate(), s.l2(), s.seed(), s.dropout());
    }

    /** Width of the dense layers' input: F·D + numeric fields. */
    int inputs() {
        return fields * dim + numericFields;
    }
}
