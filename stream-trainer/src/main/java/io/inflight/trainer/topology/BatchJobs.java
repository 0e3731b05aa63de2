package io.inflight.trainer.topology;

import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyRunner;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.train.BatchTrainer;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs a {@link BatchTrainerProcessor}'s trainer thread runs on the task's model: a whole batch
 * (scored, trained, counted; then the policy pass and the publication when due) and a time-based
 * publication. Each job returns the records it emits ({@link JobOutput}).
 *
 * <p>Single-threaded by contract: one thread at a time uses it and the model (the stream thread while
 * the journal is re-applied and while the trainer thread is idle, else the trainer thread); only
 * {@link #stagedBytes} is read by the stream thread at any time.
 */
final class BatchJobs {

    /** Logged under the processor's name, as before the jobs were a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final TableStats.PassTotals passTotals = new TableStats.PassTotals();
    private final BatchSettings batch;
    private final boolean predictions;
    private final TrainerMeters meters;
    private final Faults faults;
    private final int maxRecordBytes;
    private final TaskId task;
    private final BatchModel model;
    private final BatchTrainer trainer;
    private final EmbeddingStateStore embeddings;
    private final EmbeddingRows rows;
    /** The policy passes; null in mode none. */
    private final PolicyRunner runner;
    private final PersistedMetrics metrics;
    private final Publication publication;
    /** The task's scratch for the dense parameters. */
    private final float[] dense;
    private long batches;
    /** The quality gate on publication, null for none. */
    private PublicationGate gate;
    /** The embedding store's staged bytes after the last batch (written by the trainer thread). */
    private volatile long stagedBytes;

    /**
     * What the step being trained scored, counted once the step returns (written by one thread at a
     * time: the stream thread while the journal is re-applied, then the trainer thread).
     */
    private ClickEvent[] scoredEvents = new ClickEvent[0];
    private float[] scoredLogits = new float[0];
    private int scoredCount;
    private final BatchTrainer.Listener scoredBuffer = (ev, logit) -> {
        if (scoredCount == scoredEvents.length) {
            int n = Math.max(16, scoredCount * 2);
            scoredEvents = Arrays.copyOf(scoredEvents, n);
            scoredLogits = Arrays.copyOf(scoredLogits, n);
        }
        scoredEvents[scoredCount] = ev;
        scoredLogits[scoredCount++] = logit;
    };

    /**
     * @param predictions    whether every scored event is emitted to the predictions topic
     * @param maxRecordBytes the largest dead letter
     * @param task           for the log
     */
    /** What the policy passes did since this task started (for the progress lines). */
    TableStats.PassTotals passTotals() {
        return passTotals;
    }

    BatchJobs(BatchSettings batch, boolean predictions, TrainerMeters meters, Faults faults, int maxRecordBytes, TaskId task,
              BatchModel model, BatchTrainer trainer, EmbeddingStateStore embeddings, PolicyRunner runner,
              PersistedMetrics metrics, Publication publication, float[] dense) {
        this.batch = batch;
        this.predictions = predictions;
        this.meters = meters;
        this.faults = faults;
        this.maxRecordBytes = maxRecordBytes;
        this.task = task;
        this.model = model;
        this.trainer = trainer;
        this.embeddings = embeddings;
        this.rows = embeddings.store();
        this.runner = runner;
        this.metrics = metrics;
        this.publication = publication;
        this.dense = dense;
    }

    /** Batches trained, ever. */
    long batches() {
        return batches;
    }

    /** What a checkpoint holds. */
    void restore(long batches) {
        this.batches = batches;
    }

    /** The embedding store's staged bytes after the last batch (any thread). */
    long stagedBytes() {
        return stagedBytes;
    }

    /** A checkpoint wrote the staged rows. */
    void checkpointed() {
        stagedBytes = 0;
    }

    /**
     * SHA-256 of the model of this task: every row (values, precisions, utilities, optimizer state),
     * the dense parameters with their optimizer state, and the batch counter.
     */
    byte[] digest() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(rows.digest());
            model.exportDense(dense);
            ByteBuffer b = ByteBuffer.allocate(4 * dense.length + 8);
            for (float v : dense) {
                b.putFloat(v);
            }
            md.update(b.putLong(batches).array());
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * {@code events}' keys worked out ({@link BatchTrainer#prepare}); null when that threw, so that
     * the trainer thread trains them one at a time and dead-letters the ones that fail. Stream thread.
     */
    BatchTrainer.Prepared prepare(List<ClickEvent> events) {
        try {
            return trainer.prepare(events);
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            LOG.warn("task {}: preparing a batch of {} events failed; its events are trained one at a time",
                    task, events.size(), e);
            return null;
        }
    }

    /**
     * Scores, trains and counts one whole batch; runs a policy pass or a publication when one is
     * due. On the trainer thread, or on the stream thread while the journal is re-applied.
     *
     * <p>When the batch cannot be trained (preparing it or its step throws anything but an
     * {@link Faults#isInfrastructure infrastructure} failure), its events are trained one at a time,
     * each as a step of its own, and an event whose step still throws goes to the dead-letter topic
     * with reason {@code internal-error}: one bad record costs only itself. The same input fails the
     * same way when the journal is re-applied, so a restart rebuilds the same model.
     *
     * @param prepared the batch's keys, null when preparing it failed
     * @param sources  where each event came from (for its dead letter)
     * @param offset   the input offset of the batch's first event (for the log), -1 when unknown
     * @param ts       timestamp of the records emitted
     * @param replay   whether the outputs are in a committed transaction already: nothing is emitted
     *                 or counted in the meters
     * @return the batch's number and the records to forward: predictions, dead letters, then the
     *         publication if due
     */
    JobOutput trainBatch(long seq, List<ClickEvent> events, BatchTrainer.Prepared prepared,
                         List<DeadLetters.Source> sources, long offset, long ts, boolean replay) {
        List<JobOutput.Output> out = new ArrayList<>();
        boolean trained = false;
        if (prepared != null) {
            try {
                for (ClickEvent e : events) {
                    faults.check(Faults.Stage.TRAIN, e);
                }
                stepAndCount(prepared, offset, ts, replay, out);
                trained = true;
            } catch (RuntimeException e) {
                Faults.rethrowIfInfrastructure(e);
                LOG.warn("task {}: training batch {} (offsets from {}) failed; its {} events are trained one at a time",
                        task, batches, offset, events.size(), e);
            }
        }
        if (!trained) {
            for (int i = 0; i < events.size(); i++) {
                ClickEvent e = events.get(i);
                try {
                    faults.check(Faults.Stage.TRAIN, e);
                    stepAndCount(trainer.prepare(List.of(e)), offset, ts, replay, out);
                } catch (RuntimeException ex) {
                    Faults.rethrowIfInfrastructure(ex);
                    metrics.rejected();
                    if (!replay) {
                        meters.rejected(RejectReason.INTERNAL_ERROR);
                    }
                    LOG.warn("task {}: event {} of the batch from offset {} cannot be trained; dead-lettered",
                            task, i, offset, ex);
                    out.add(new JobOutput.Output(TrainerTopology.DEAD_LETTER_SINK, DeadLetters.letter(sources.get(i),
                            RejectReason.INTERNAL_ERROR, Faults.describe("training", ex), maxRecordBytes)));
                }
            }
        }
        stagedBytes = embeddings.stagedBytes();
        return new JobOutput(seq, replay ? List.of() : out);
    }

    /** Publications pass {@code g} from now on (null: no gate). */
    void gate(PublicationGate g) {
        this.gate = g;
    }

    /** A time-based publication (job {@code seq}); in a replay only the changed set is cleared. */
    JobOutput publishJob(long seq, long ts, boolean replay) {
        List<JobOutput.Output> out = new ArrayList<>();
        publish(out, ts, replay);
        return new JobOutput(seq, replay ? List.of() : out);
    }

    /** A publication at the current batch count, timed in the meters unless replayed. */
    private void publish(List<JobOutput.Output> out, long ts, boolean replay) {
        if (gate != null && gate.holds(metrics, batches, replay)) {
            return; // the changed rows wait for the first publication the gate lets through
        }
        long started = System.nanoTime();
        publication.publishGuarded(out, ts, replay, batches);
        if (!replay) {
            meters.published(System.nanoTime() - started, System.currentTimeMillis());
        }
    }

    /**
     * One step on {@code p}; its events are counted in the metrics only once the step returned (an
     * event of a step that throws is counted when it is trained again, or as a dead letter). Then the
     * policy pass and the publication when due.
     */
    private void stepAndCount(BatchTrainer.Prepared p, long offset, long ts, boolean replay, List<JobOutput.Output> out) {
        scoredCount = 0;
        boolean finite = trainer.step(p, batches, scoredBuffer);
        for (int i = 0; i < scoredCount; i++) {
            ClickEvent ev = scoredEvents[i];
            float logit = scoredLogits[i];
            if (Float.isFinite(logit)) {
                metrics.record(logit, ev.label());
                if (!replay) {
                    meters.event();
                }
            }
            if (predictions && !replay) {
                out.add(new JobOutput.Output(TrainerTopology.PREDICTIONS_SINK, new Record<>(null, Predictions.encode(ev.id(),
                        ev.eventTimeMs(), ev.label(), Losses.sigmoid(logit)), ts)));
            }
        }
        if (!finite) {
            if (!replay) {
                meters.nonFinite();
            }
            LOG.warn("batch {} (offsets from {}{}) has a non-finite loss or gradient; not applied", batches, offset,
                    replay ? ", journal replay" : "");
        }
        batches++;
        if (runner != null && runner.isPassDue(batches)) {
            try {
                PassReport r = runner.runPass(rows, batches);
                passTotals.add(r);
                if (!replay) {
                    meters.pass(r);
                }
                LOG.info("policy pass at batch {}: {} rows, bytes {} -> {} (budget {}), chunks pruned {} re-allocated {}, "
                                + "rows evicted {} admitted {} grown {}, promotions {} demotions {}, {} ms", batches,
                        r.rowsVisited(), r.bytesBefore(), r.bytesAfter(), r.budgetBytes(), r.chunksPruned(),
                        r.chunksReallocated(), r.rowsEvicted(), r.rowsAdmitted(), r.rowsGrown(), r.promotions(),
                        r.demotions(), r.durationNanos() / 1_000_000);
            } catch (RuntimeException e) {
                Faults.rethrowIfInfrastructure(e);
                LOG.error("task {}: the policy pass at batch {} failed; training goes on", task, batches, e);
            }
        }
        if (batch.publishEveryBatches() > 0 && batches % batch.publishEveryBatches() == 0) {
            publish(out, ts, replay);
        }
    }
}
