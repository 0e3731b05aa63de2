package io.inflight.trainer.config;

import java.util.List;

/**
 * Settings of field-aware mini-batch training (the deep models and batched LR/FM).
 *
 * @param modelType      lr, fm, dnn, deepfm or dcn
 * @param fields         categorical field names, in slot order; features of other fields are ignored
 * @param numericFields  numeric fields fed to the dense layers, in input order, after the embeddings (empty:
 *                       none); only dnn, deepfm and dcn have dense layers, and no name may also be in
 *                       {@code fields}
 * @param dim            embedding dimension D
 * @param batchSize      events per mini-batch; batches are cut by count, so they are the same on every run
 * @param hidden         hidden layer sizes of the MLP parts
 * @param activation     relu or tanh
 * @param optimizer      adam or adagrad, for the dense parameters
 * @param denseLearningRate learning rate of the dense optimizer
 * @param embeddingLearningRate row-wise Adagrad learning rate of the embedding rows
 * @param l2             L2 on touched rows and on dense weights
 * @param initStddev     standard deviation of initial embedding values
 * @param seed           seed of every random draw
 * @param publishEveryBatches publish changed rows (and the dense parameters) every this many batches; 0: not by count
 * @param dropout        dropout rate of the MLP's hidden units while training, in [0, 1); 0: off
 */
public record BatchSettings(String modelType, List<String> fields, List<NumericField> numericFields, int dim,
                            int batchSize, List<Integer> hidden, String activation, String optimizer, double denseLearningRate,
                            double embeddingLearningRate, double l2, double initStddev, long seed,
                            int publishEveryBatches, double dropout) {

    public BatchSettings {
        fields = List.copyOf(fields);
        numericFields = List.copyOf(numericFields);
        hidden = List.copyOf(hidden);
        if (fields.isEmpty()) {
            throw new IllegalArgumentException("mini-batch training needs at least one field");
        }
        if (batchSize < 1 || batchSize > 65_536) {
            throw new IllegalArgumentException("batch size must be in [1, 65536], got " + batchSize);
        }
        if (publishEveryBatches < 0) {
            throw new IllegalArgumentException("publish interval must be >= 0 batches (0: off), got " + publishEveryBatches);
        }
        if (fields.stream().distinct().count() != fields.size()) {
            throw new IllegalArgumentException("fields must be distinct, got " + fields);
        }
        if (numericFields.stream().map(NumericField::name).distinct().count() != numericFields.size()) {
            throw new IllegalArgumentException("numeric fields must be distinct, got " + numericFields);
        }
        for (NumericField n : numericFields) {
            if (fields.contains(n.name())) {
                throw new IllegalArgumentException("'" + n.name() + "' is both a categorical and a numeric field");
            }
        }
        if (!(denseLearningRate > 0) || !Double.isFinite(denseLearningRate)) {
            throw new IllegalArgumentException("dense learning rate must be positive and finite, got " + denseLearningRate);
        }
        if (!(embeddingLearningRate > 0) || !Double.isFinite(embeddingLearningRate)) {
            throw new IllegalArgumentException("embedding learning rate must be positive and finite, got "
                    + embeddingLearningRate);
        }
        if (!(l2 >= 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("l2 must be >= 0 and finite, got " + l2);
        }
        if (!(initStddev >= 0) || !Double.isFinite(initStddev)) {
            throw new IllegalArgumentException("init stddev must be >= 0 and finite, got " + initStddev);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        }
        if (dropout > 0 && (modelType.equals("lr") || modelType.equals("fm"))) {
            throw new IllegalArgumentException("model type " + modelType + " has no hidden layers to apply dropout "
                    + dropout + " to");
        }
        if (!numericFields.isEmpty() && (modelType.equals("lr") || modelType.equals("fm"))) {
            throw new IllegalArgumentException("model type " + modelType + " has no dense layers to feed numeric fields "
                    + numericFields + " to");
        }
    }

    /** Settings without dropout. */
    public BatchSettings(String modelType, List<String> fields, List<NumericField> numericFields, int dim, int batchSize,
                         List<Integer> hidden, String activation, String optimizer, double denseLearningRate,
                         double embeddingLearningRate, double l2, double initStddev, long seed, int publishEveryBatches) {
        this(modelType, fields, numericFields, dim, batchSize, hidden, activation, optimizer, denseLearningRate,
                embeddingLearningRate, l2, initStddev, seed, publishEveryBatches, 0.0);
    }

    /** Settings without numeric fields or dropout. */
    public BatchSettings(String modelType, List<String> fields, int dim, int batchSize, List<Integer> hidden,
                         String activation, String optimizer, double denseLearningRate, double embeddingLearningRate,
                         double l2, double initStddev, long seed, int publishEveryBatches) {
        this(modelType, fields, List.of(), dim, batchSize, hidden, activation, optimizer, denseLearningRate,
                embeddingLearningRate, l2, initStddev, seed, publishEveryBatches, 0.0);
    }

    public int slots() {
        return fields.size();
    }

    /** Numeric inputs per event: the size of {@link #numericFields()}. */
    public int numericInputs() {
        return numericFields.size();
    }
}
