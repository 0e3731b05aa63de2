package io.inflight.trainer.topology;

import io.inflight.store.EmbeddingRows;
import io.inflight.store.SharedRows;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.model.BatchModel;
import java.util.List;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publication of a {@link BatchTrainerProcessor}'s model updates: every row changed since the last
 * publication, coalesced, with its chunk mask and precision (a tombstone for an evicted row), and the
 * dense parameters without optimizer state, to the model-updates topic under this task's model id;
 * with shared hashed rows attached to the store, also their gates and the chunks of H rows holding a
 * row changed since the last publication (all of them after a resize, or the first time since this
 * object was made or restored).
 *
 * <p>Two threads use it. The trainer thread publishes ({@link #publish}) and keeps the batch count of
 * the last publication ({@link #publishedAt}, durable with each checkpoint, so a restart publishes what
 * is newer). The stream thread keeps the wall-clock cadence: a publication is asked for every
 * {@code inflight.publish.interval.ms} while batches are handed over ({@link #isTimeDue},
 * {@link #asked}).
 */
final class Publication {

    /** Logged under the processor's name, as before publication was a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final BatchModel model;
    private final EmbeddingRows rows;
    /** The task's scratch for the dense parameters (used by whichever thread trains the model at the time). */
    private final float[] dense;
    private final int dim;
    /** The model this task trains, in its model-updates keys: its clicks partition. */
    private final int modelId;
    private final int denseChunkFloats;
    private final long intervalMs;
    private final Faults faults;
    private final TaskId task;
    /** The batch count at the last publication (trainer thread). */
    private long publishedAt;
    /** Whole batches handed to the trainer thread, ever, and at the last publication asked for (stream thread). */
    private long batchesSubmitted;
    private long batchesAtLastPublish;
    /** When the last publication was asked for (Streams' wall clock; stream thread). */
    private long lastPublishMs;
    /** H and the shared chunks of the last publication (trainer thread); 0: publish them all next time. */
    private int publishedSharedRows;
    private int publishedSharedChunks;
    private float[] sharedBuf = new float[0];

    Publication(BatchModel model, EmbeddingRows rows, float[] dense, int dim, int modelId, int denseChunkFloats,
                long intervalMs, Faults faults, TaskId task) {
        this.model = model;
        this.rows = rows;
        this.dense = dense;
        this.dim = dim;
        this.modelId = modelId;
        this.denseChunkFloats = denseChunkFloats;
        this.intervalMs = intervalMs;
        this.faults = faults;
        this.task = task;
    }

    /** The batch count of the last publication. */
    long publishedAt() {
        return publishedAt;
    }

    /** What a checkpoint holds. */
    void restore(long publishedAt) {
        this.publishedAt = publishedAt;
        this.publishedSharedRows = 0; // which shared rows changed since then is not kept: all go out next time
    }

    /**
     * Starts the cadence at {@code nowMs} with {@code batches} handed over: changes trained but never
     * published go out after the first interval. Stream thread, after the journal was re-applied.
     */
    void startCadence(long batches, long nowMs) {
        batchesSubmitted = batches;
        batchesAtLastPublish = publishedAt;
        lastPublishMs = nowMs;
    }

    /** A whole batch was handed to the trainer thread (stream thread). */
    void batchHandedOver() {
        batchesSubmitted++;
    }

    /** Whether the interval passed at {@code nowMs} since the last publication asked for and batches were handed over since. */
    boolean isTimeDue(long nowMs) {
        return intervalMs != 0 && batchesSubmitted != batchesAtLastPublish && nowMs - lastPublishMs >= intervalMs;
    }

    /** A time-based publication was asked for at {@code nowMs} (stream thread). */
    void asked(long nowMs) {
        batchesAtLastPublish = batchesSubmitted;
        lastPublishMs = nowMs;
    }

    /**
     * Publishes at batch count {@code batches} into {@code out} (in a replay: only clears the changed
     * set, published before the restart in a committed transaction). A publication that throws
     * anything but an infrastructure failure emits nothing and keeps the changed rows for the next one.
     */
    void publishGuarded(List<JobOutput.Output> out, long ts, boolean replay, long batches) {
        int mark = out.size();
        try {
            faults.check(Faults.Stage.PUBLISH, batches);
            if (replay) {
                rows.clearChanged();
                SharedRows shared = rows.shared();
                if (shared != null) { // published in full before the restart too
                    shared.clearChanged();
                    publishedSharedRows = shared.rows();
                    publishedSharedChunks = sharedChunks(shared.rows());
                }
                publishedAt = batches;
            } else {
                publish(out, ts, batches);
            }
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            out.subList(mark, out.size()).clear();
            LOG.error("task {}: the publication at batch {} failed; its rows are published with the next one",
                    task, batches, e);
        }
    }

    /**
     * Publishes every row changed since the last publication (with its chunk mask and the widest
     * precision among its stored chunks; a tombstone for an evicted row), and the dense parameters
     * (without their optimizer state).
     */
    private void publish(List<JobOutput.Output> out, long ts, long batches) {
        model.exportDense(dense);
        ChangedRowRecords.visit(rows, modelId, (key, value) -> out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK,
                new Record<>(key, value, ts))));
        int parameters = model.parameterCount(); // serving needs no optimizer state
        for (int c = 0; c * denseChunkFloats < parameters; c++) {
            int n = Math.min(denseChunkFloats, parameters - c * denseChunkFloats);
            out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.denseKey(modelId, c),
                    ModelUpdateCodec.dense(batches, dense, c * denseChunkFloats, n, parameters), ts)));
        }
        SharedRows shared = rows.shared();
        if (shared != null) {
            publishShared(shared, out, ts, batches);
        }
        rows.clearChanged();
        if (shared != null) {
            shared.clearChanged();
            publishedSharedRows = shared.rows();
            publishedSharedChunks = sharedChunks(shared.rows());
        }
        publishedAt = batches;
    }

    /** Rows per shared chunk: as many as fit the floats of a dense chunk. */
    private int sharedChunkRows() {
        return Math.max(1, denseChunkFloats / (dim + 1));
    }

    private int sharedChunks(int tableRows) {
        int per = sharedChunkRows();
        return (tableRows + per - 1) / per;
    }

    /**
     * The chunks of shared rows with a changed row (every chunk when H changed since the last
     * publication), tombstones for the chunks a halving left beyond the table, then the gates.
     */
    private void publishShared(SharedRows shared, List<JobOutput.Output> out, long ts, long batches) {
        int h = shared.rows();
        int per = sharedChunkRows();
        int chunks = sharedChunks(h);
        boolean all = h != publishedSharedRows;
        if (sharedBuf.length < per * (dim + 1)) {
            sharedBuf = new float[per * (dim + 1)];
        }
        for (int c = 0; c < chunks; c++) {
            int from = c * per;
            int n = Math.min(per, h - from);
            if (all || shared.changedIn(from, from + n)) {
                shared.copyRows(from, n, sharedBuf, 0);
                out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.sharedKey(modelId, c),
                        ModelUpdateCodec.sharedChunk(batches, h, dim, from, n, sharedBuf, 0), ts)));
            }
        }
        for (int c = chunks; c < publishedSharedChunks; c++) {
            out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.sharedKey(modelId, c),
                    (byte[]) null, ts)));
        }
        out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.gatesKey(modelId),
                ModelUpdateCodec.gates(batches, h, dim, rows.chunkWidths(), shared.gates()), ts)));
    }
}
