package io.inflight.trainer.topology;

import io.inflight.policies.PolicyRunner;
import io.inflight.store.RowAccess;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.state.TrainerStateStore;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The checkpoints of a {@link BatchTrainerProcessor}: everything held in memory between commits,
 * written at once ({@link #write}) and loaded back from the restored stores ({@link #restore}).
 *
 * <p>In {@code inflight-trainer-state} ({@link CheckpointRecords}): the dense parameters with their
 * optimizer state ({@value #DENSE_CHUNK}, with what they belong to under {@value #DENSE_SHAPE}), the
 * batch count, the policy runner's state and the shared hashed rows (in parts), the metrics, the
 * pending batch's raw records, the job counters, the batch count of the last publication, the
 * outputs not forwarded yet and the stop offset at which the task last finished; the rows go into
 * the embedding store's changelogged RocksDB store.
 *
 * <p>Stream thread only, while the trainer thread is idle.
 */
final class Checkpoints {

    /** Pending events, one record each, as written by an earlier version (deleted at the next checkpoint). */
    static final String PENDING = "pending/";
    static final String DENSE_CHUNK = "dense/";
    static final String BATCHES = "batches";
    /** The policy runner's state, in parts ({@link CheckpointRecords#writeParts}). */
    static final String POLICY_STATE = "policy/";
    /** The pass state alone, as written before the per-batch state was checkpointed too. */
    private static final String LEGACY_POLICY_STATE = "policy";
    /** What the stored dense state belongs to: model, shape and optimizer. */
    static final String DENSE_SHAPE = "dense-shape";
    static final int DENSE_CHUNK_FLOATS = 16_384;
    /** The shared hashed rows ({@link io.inflight.store.SharedRows}), in parts, when the policies use them. */
    static final String SHARED_ROWS = "shared/";
    /** The pending batch at a checkpoint: length-prefixed raw records, in parts. */
    static final String PENDING_STREAM = "pending-stream/";
    static final String FORWARDED = "forwarded";
    static final String JOBS = "jobs";
    static final String PUBLISHED_AT = "published-at";
    /** The stop offset of the run in which the task last finished (its pending events are held in it). */
    static final String FINISHED_AT = "finished-at";
    static final String OUTPUT = "output/";

    /** What a checkpoint holds besides the model, the policy state and the metrics (loaded into them). */
    record Restored(long batches, List<byte[]> pending, long forwardedJobs, long jobs, long publishedAt, byte[] outputs,
                    long finishedAt) {
    }

    private final KeyValueStore<String, byte[]> state;
    private final CheckpointRecords records;
    private final BatchSettings batch;
    private final BatchModel model;
    /** The task's scratch for the dense parameters. */
    private final float[] dense;
    private final EmbeddingStateStore embeddings;
    private final RowAccess rows;
    /** The policy passes; null in mode none. */
    private final PolicyRunner runner;
    private final PersistedMetrics metrics;
    private boolean shapeWritten;
    /** Records (or parts) stored at the last checkpoint, under each prefix. */
    private int storedLegacyPending;
    private int storedPending;
    private int storedOutputs;
    private int storedPolicyParts;
    private int storedSharedParts;

    Checkpoints(KeyValueStore<String, byte[]> state, int partBytes, BatchSettings batch, BatchModel model, float[] dense,
                EmbeddingStateStore embeddings, PolicyRunner runner, PersistedMetrics metrics) {
        this.state = state;
        this.records = new CheckpointRecords(state, partBytes, DENSE_CHUNK_FLOATS);
        this.batch = batch;
        this.model = model;
        this.dense = dense;
        this.embeddings = embeddings;
        this.rows = embeddings.store();
        this.runner = runner;
        this.metrics = metrics;
    }

    private String denseShape() {
        // numeric fields only when there are some: shapes stored before they existed stay equal
        String numeric = batch.numericFields().isEmpty() ? "" : " numeric=" + batch.numericFields();
        return model.name() + " fields=" + batch.fields() + numeric + " D=" + batch.dim() + " hidden=" + batch.hidden()
                + " activation=" + batch.activation() + " optimizer=" + batch.optimizer() + " floats=" + model.denseSize();
    }

    /**
     * Loads the model's dense parameters, the policy state and the shared rows from the (restored)
     * store and returns the rest.
     *
     * @throws IllegalStateException when the store holds the dense state of another model or shape
     */
    Restored restore() {
        long batches = records.getLong(BATCHES);
        String shape = denseShape();
        byte[] storedShape = state.get(DENSE_SHAPE);
        if (storedShape != null && !shape.equals(new String(storedShape, StandardCharsets.UTF_8))) {
            throw new IllegalStateException("store " + TrainerStateStore.STATE + " holds the dense state of "
                    + new String(storedShape, StandardCharsets.UTF_8) + ", but this trainer is " + shape
                    + "; train a changed model under a new inflight.application.id (or reset the application)");
        }
        shapeWritten = storedShape != null;
        if (records.readFloats(DENSE_CHUNK, dense)) {
            model.importDense(dense);
        }
        List<byte[]> policyParts = records.readParts(POLICY_STATE);
        storedPolicyParts = policyParts.size();
        byte[] policyState = policyParts.isEmpty() ? state.get(LEGACY_POLICY_STATE) : CheckpointRecords.join(policyParts);
        if (runner != null && policyState != null) {
            runner.importState(policyState);
        }
        List<byte[]> sharedParts = records.readParts(SHARED_ROWS);
        storedSharedParts = sharedParts.size();
        if (rows.shared() != null && !sharedParts.isEmpty()) {
            rows.shared().importState(CheckpointRecords.join(sharedParts));
        }
        List<byte[]> legacy = records.readParts(PENDING); // one record per pending event, as written before
        storedLegacyPending = legacy.size();
        List<byte[]> pendingParts = records.readParts(PENDING_STREAM);
        storedPending = pendingParts.size();
        List<byte[]> raws = legacy;
        if (!pendingParts.isEmpty()) {
            raws = new ArrayList<>();
            ByteBuffer b = ByteBuffer.wrap(CheckpointRecords.join(pendingParts));
            while (b.hasRemaining()) {
                byte[] raw = new byte[b.getInt()];
                b.get(raw);
                raws.add(raw);
            }
        }
        List<byte[]> outputParts = records.readParts(OUTPUT);
        storedOutputs = outputParts.size();
        return new Restored(batches, raws, records.getLong(FORWARDED), records.getLong(JOBS), records.getLong(PUBLISHED_AT),
                CheckpointRecords.join(outputParts), state.get(FINISHED_AT) == null ? -1 : records.getLong(FINISHED_AT));
    }

    /**
     * Writes a checkpoint: dense parameters, counters, policy state, metrics, the pending batch, the
     * outputs not forwarded yet and every row changed since the last one.
     *
     * @param pending the pending batch's sources (their raw records are written)
     * @param outputs    the outputs not forwarded yet ({@link BatchPipeline#encodeUnforwarded})
     * @param finishedAt the stop offset of the run in which the task last finished, -1 for none
     */
    void write(long batches, List<DeadLetters.Source> pending, long forwardedJobs, long jobs, long publishedAt,
               byte[] outputs, long finishedAt) {
        model.exportDense(dense);
        if (!shapeWritten) {
            state.put(DENSE_SHAPE, denseShape().getBytes(StandardCharsets.UTF_8));
            shapeWritten = true;
        }
        records.writeFloats(DENSE_CHUNK, dense);
        records.putLong(BATCHES, batches);
        if (runner != null) {
            storedPolicyParts = records.writeParts(POLICY_STATE, runner.exportState(), storedPolicyParts);
        }
        if (rows.shared() != null) {
            storedSharedParts = records.writeParts(SHARED_ROWS, rows.shared().exportState(), storedSharedParts);
        }
        metrics.writeAll();
        storedLegacyPending = records.writeAll(PENDING, List.of(), storedLegacyPending);
        ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
        for (DeadLetters.Source src : pending) {
            pendingBytes.writeBytes(ByteBuffer.allocate(4).putInt(src.value().length).array());
            pendingBytes.writeBytes(src.value());
        }
        storedPending = records.writeParts(PENDING_STREAM, pendingBytes.toByteArray(), storedPending);
        records.putLong(FORWARDED, forwardedJobs);
        records.putLong(JOBS, jobs);
        records.putLong(PUBLISHED_AT, publishedAt);
        records.putLong(FINISHED_AT, finishedAt);
        storedOutputs = records.writeParts(OUTPUT, outputs, storedOutputs);
        embeddings.checkpoint();
    }
}
