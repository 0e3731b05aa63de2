package io.inflight.trainer.topology;

import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.model.BatchModel;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The dense half of a sharded model's publication: the {@link ShardedTrainerProcessor} publishes the
 * dense parameters (without optimizer state) under model 0 every {@code inflight.publish.interval.ms}
 * while it trains, and once more when a finish was trained; the shards publish their changed rows
 * themselves ({@code ShardProcessor}). A serving replica follows both on the one model-updates topic.
 * Stream thread only.
 */
final class ShardedPublication {

    private final BatchModel model;
    private final float[] dense;
    private final long intervalMs;
    private long lastMs;
    /** The batches trained at the last publication, -1 before the first. */
    private long publishedAt = -1;

    ShardedPublication(BatchModel model, long intervalMs, long nowMs) {
        this.model = model;
        this.dense = new float[model.denseSize()];
        this.intervalMs = intervalMs;
        this.lastMs = nowMs;
    }

    /** Publishes when the interval passed since the last publication and batches were trained since. */
    void maybe(ProcessorContext<byte[], byte[]> context, long trained) {
        long now = context.currentSystemTimeMs();
        if (intervalMs > 0 && trained > 0 && trained != publishedAt && now - lastMs >= intervalMs) {
            now(context, trained);
        }
    }

    /** Publishes the dense parameters as of {@code trained} batches. */
    void now(ProcessorContext<byte[], byte[]> context, long trained) {
        long ts = context.currentSystemTimeMs();
        model.exportDense(dense);
        int parameters = model.parameterCount(); // serving needs no optimizer state
        for (int c = 0; c * Checkpoints.DENSE_CHUNK_FLOATS < parameters; c++) {
            int n = Math.min(Checkpoints.DENSE_CHUNK_FLOATS, parameters - c * Checkpoints.DENSE_CHUNK_FLOATS);
            context.forward(new Record<>(ModelUpdateCodec.denseKey(0, c), ModelUpdateCodec.dense(trained, dense,
                    c * Checkpoints.DENSE_CHUNK_FLOATS, n, parameters), ts), TrainerTopology.MODEL_UPDATES_SINK);
        }
        publishedAt = trained;
        lastMs = ts;
    }
}
