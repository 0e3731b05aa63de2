package io.inflight.trainer.config;

import java.util.Objects;

/**
 * When the mini-batch trainer makes its state durable and publishes its model (wall-clock times).
 *
 * <p>Checkpoints: between checkpoints only a journal of the events accepted since the last one is
 * written at each commit (one record per commit, not one per changed row); after a crash or a move
 * to another instance the task loads the checkpoint and re-applies the journal, which gives back
 * the same model bit for bit. Longer intervals make committing cheaper and restarts longer (up to
 * one interval of training is re-done).
 *
 * <p>Publications: the rows changed since the last publication and the dense parameters go to the
 * model-updates topic every {@code publishIntervalMs}, so a serving replica is that fresh (plus a
 * commit) whatever the event rate; each publication point is journaled, so a restart publishes
 * exactly what no committed transaction holds.
 *
 * @param checkpointIntervalMs a checkpoint at the first commit this long after the previous one;
 *                             0 checkpoints at every commit (no journal)
 * @param checkpointMaxBytes   a checkpoint as soon as the journal and the rows staged for the next
 *                             checkpoint hold this many bytes of memory
 * @param publishIntervalMs    a publication this long after the previous one when batches were
 *                             trained since; 0: only every {@code inflight.publish.every.batches}
 * @param gate                 the quality gate that may hold publications ({@link GateSettings#OFF}: none)
 */
public record CadenceSettings(long checkpointIntervalMs, long checkpointMaxBytes, long publishIntervalMs, GateSettings gate) {

    public static final long DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000L;
    public static final long DEFAULT_CHECKPOINT_MAX_BYTES = 128L << 20;
    public static final long DEFAULT_PUBLISH_INTERVAL_MS = 500L;

    /** Without a publication gate. */
    public CadenceSettings(long checkpointIntervalMs, long checkpointMaxBytes, long publishIntervalMs) {
        this(checkpointIntervalMs, checkpointMaxBytes, publishIntervalMs, GateSettings.OFF);
    }

    public CadenceSettings {
        Objects.requireNonNull(gate, "gate");
        if (checkpointIntervalMs < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0 ms, got " + checkpointIntervalMs);
        }
        if (checkpointMaxBytes < 1) {
            throw new IllegalArgumentException("checkpoint max bytes must be >= 1, got " + checkpointMaxBytes);
        }
        if (publishIntervalMs < 0) {
            throw new IllegalArgumentException("publish interval must be >= 0 ms, got " + publishIntervalMs);
        }
    }

    public static CadenceSettings defaults() {
        return new CadenceSettings(DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_CHECKPOINT_MAX_BYTES, DEFAULT_PUBLISH_INTERVAL_MS);
    }

    /** A checkpoint at every commit (rows written as they change, nothing journaled); count-based publication only. */
    public static CadenceSettings everyCommit() {
        return new CadenceSettings(0, DEFAULT_CHECKPOINT_MAX_BYTES, 0);
    }

    /** Checkpoints as given; count-based publication only (what tests that count batches need). */
    public static CadenceSettings checkpoints(long intervalMs, long maxBytes) {
        return new CadenceSettings(intervalMs, maxBytes, 0);
    }
}
