package io.inflight.trainer.topology;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Field-aware mini-batch training with a {@link BatchModel}.
 *
 * <p>Valid events are appended to a pending batch; every {@code batchSize} events the batch is
 * scored (progressive validation: every event is scored by the model as it was before the batch),
 * trained, and the rows it touched are updated in the embedding store (row-wise Adagrad per chunk,
 * at each row's precision). Batches are cut by count, never by time, so the same input gives the
 * same batches and the same model on every run and after any crash.
 *
 * <h2>A job that ends</h2>
 * A task can be told to {@linkplain TrainerTasks.View#finish finish} (by a call, or on reaching its
 * {@linkplain TrainerTasks#stopAt stop offset}): its pending events are then trained and scored as
 * one batch short of the batch size, and the point is journaled with the run's stop offset
 * ({@link Journal#FINISH_MARK}), so the journal identifies batches by the events and finish points
 * between them, not by count alone, and a restart re-applies the same batches. Events processed
 * after that point are held pending for the rest of this run (written with a checkpoint as any
 * pending events); a later run (another stop offset) trains them in whole batches from the start of
 * its pending list. The stop offset the task finished at is durable (journal and checkpoint): a task
 * re-initialized within the same run (a rebalance, a fenced producer under load) holds them again
 * rather than training them or finishing a second time.
 *
 * <h2>Durability: checkpoint plus journal</h2>
 * Rows live in the {@link EmbeddingStateStore} (hot tier in memory over a logged RocksDB store);
 * the dense parameters with their optimizer state, the batch counter, the pending batch, the policy
 * pass state and the metrics live in the trainer-state store. All of it is written at a
 * <em>checkpoint</em>, at the first commit {@code inflight.checkpoint.interval.ms} after the last
 * one. At every other commit only the <em>journal</em> is written: the raw records of the events
 * accepted since the last checkpoint (and a mark per dead-lettered one), one record per commit.
 * The journal, the checkpoint and the offsets commit in the same transaction, so after a crash,
 * a restart or a move to another instance the task loads the checkpoint and re-applies the journal
 * (publishing nothing: what it published was committed), which rebuilds the state of the last
 * commit bit for bit. Rows that leave the hot tier between checkpoints wait in memory
 * ({@link EmbeddingStateStore#deferDurability}).
 *
 * <h2>Threads</h2>
 * The stream thread decodes, validates, journals and dead-letters records and cuts batches; each
 * whole batch is trained on the task's trainer thread, at most {@value BatchPipeline#MAX_IN_FLIGHT} batches
 * ahead, while the stream thread reads on. What a batch emits (predictions, publications) comes
 * back with it and is forwarded by the stream thread, in batch order, from {@code process} or a
 * punctuation (Streams does not allow forwarding while it commits). A commit does not wait for the
 * trainer thread: what it must hold is the journal of the events accepted before it, from which
 * the state is rebuilt exactly. Only a checkpoint, and anything reading the model from outside,
 * waits until every batch handed over is trained; the model is the same bit for bit as on one
 * thread. The outputs of a batch are forwarded in the transaction of the commit that follows its
 * training, which may be later than the one holding its events: the journal records, with each
 * commit, how many jobs' outputs were forwarded, and a checkpoint stores the outputs still
 * waiting, so a restart forwards exactly the outputs that no committed transaction holds.
 *
 * <p>The store keeps the set of rows changed since the last publication; every
 * {@code inflight.publish.interval.ms} (asked for by the stream thread, the point journaled) and,
 * when set, every {@code publishEveryBatches} batches, they are published, coalesced, to the
 * model-updates topic with their chunk mask and precision (a tombstone for an evicted row) and the
 * dense parameters without optimizer state.
  *
 * <h2>Parts</h2>
 * This class coordinates them on the stream thread: {@link Intake} accepts or dead-letters each
 * record, the {@link Journal} records it, the pending batch is cut here, {@link BatchJobs} trains
 * whole batches and runs publications ({@link Publication}) as jobs of the {@link BatchPipeline}
 * (the trainer thread and the forwarding of their outputs), and {@link Checkpoints} writes and
 * restores the rest.
 */
public final class BatchTrainerProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    /** Keys of {@code inflight-trainer-state} (see {@link Checkpoints}). */
    static final String PENDING = Checkpoints.PENDING;
    static final String BATCHES = Checkpoints.BATCHES;
    static final String POLICY_STATE = Checkpoints.POLICY_STATE;
    static final String DENSE_SHAPE = Checkpoints.DENSE_SHAPE;
    static final String PENDING_STREAM = Checkpoints.PENDING_STREAM;
    /**
     * A journal record is written once the events buffered since the last one reach this size; it
     * is also the largest journal or checkpoint record (smaller when the producer's
     * {@code max.request.size} is: half of it). An entry may span records, so no event is too large.
     */
    static final int JOURNAL_RECORD_BYTES = 512 * 1024;
    /** How often (wall-clock) calls queued by {@link TrainerTasks} run on the stream thread. */
    private static final Duration TASK_CALLS_POLL = Duration.ofMillis(50);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final PolicySettings policy;
    private final CadenceSettings cadence;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final Faults faults;
    private final Intake intake;
    private final BatchPipeline pipeline = new BatchPipeline();

    private ProcessorContext<byte[], byte[]> context;
    private BatchModel model;
    private PersistedMetrics metrics;
    private Journal journal;
    private Checkpoints checkpoints;
    private Publication publication;
    private BatchJobs jobs;
    private TrainerTasks.Handle tasks;
    private final List<ClickEvent> pending = new ArrayList<>();
    /** Where the events of {@link #pending} came from (their raw records are written with a checkpoint). */
    private final List<DeadLetters.Source> pendingSources = new ArrayList<>();
    /** The input offset of the pending batch's first event, -1 when unknown. */
    private long firstOffset = -1;
    /** Wall-clock time (Streams' clock) of the last checkpoint. */
    private long lastCheckpointMs;
    /** The input offset at which this task finishes ({@link TrainerTasks#stopAt}), -1 for none. */
    private long stopOffset = -1;
    /** Whether this task finished in this run: later events are held pending, not trained. */
    private boolean finished;
    /** The stop offset of the run in which this task last finished (journaled, checkpointed), -1 for none. */
    private long finishedAt = -1;
    private boolean closed;

    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                 BatchModelFactory factory, TrainerMeters meters) {
        this(settings, batch, policy, CadenceSettings.defaults(), factory, meters);
    }

    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                 CadenceSettings cadence, BatchModelFactory factory, TrainerMeters meters) {
        this(settings, batch, policy, cadence, factory, meters, Faults.NONE);
    }

    public BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                 CadenceSettings cadence, BatchModelFactory factory, TrainerMeters meters,
                                 Faults faults) {
        this(settings, batch, policy, cadence, factory, meters, faults, Intake.of(settings, meters, faults,
                TrainerTopology.DEAD_LETTER_SINK));
    }

    /**
     * The trainer task of the one-model topology: its records come checked from the intake tasks
     * ({@link IntakeProcessor}) through the events topic, and it has no stop offset of its own (those
     * are clicks offsets): it finishes when told to ({@link TrainerTasks#finish}).
     */
    static BatchTrainerProcessor ofCheckedEvents(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                                 CadenceSettings cadence, BatchModelFactory factory,
                                                 TrainerMeters meters, Faults faults) {
        return new BatchTrainerProcessor(settings, batch, policy, cadence, factory, meters, faults,
                Intake.checked(settings, meters, faults));
    }

    private BatchTrainerProcessor(TrainerSettings settings, BatchSettings batch, PolicySettings policy,
                                  CadenceSettings cadence, BatchModelFactory factory, TrainerMeters meters,
                                  Faults faults, Intake intake) {
        this.faults = faults;
        this.settings = settings;
        this.batch = batch;
        this.policy = policy;
        this.cadence = cadence;
        this.factory = factory;
        this.meters = meters;
        this.intake = intake;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        // Streams may re-initialize a closed instance (a revived task): nothing of the last run is kept
        closed = false;
        finished = false;
        firstOffset = -1;
        stopOffset = intake.isChecked() ? -1 : TrainerTasks.stopOffset(context.applicationId(), context.taskId().partition());
        intake.init(context);
        int partBytes = Math.min(JOURNAL_RECORD_BYTES, intake.maxRecordBytes() / 2);
        this.model = factory.create(batch);
        EmbeddingStateStore embeddings = context.getStateStore(TrainerStateStore.EMBEDDINGS);
        EmbeddingRows rows = embeddings.store();
        PolicyRunner runner = policy.mode() == PolicyMode.NONE ? null
                : new PolicyRunner(policy, rows.chunkWidths(), batch.slots());
        BatchTrainer trainer = new BatchTrainer(batch, model, rows);
        trainer.policies(runner);
        float[] dense = new float[model.denseSize()];
        this.metrics = new PersistedMetrics(context.getStateStore(TrainerStateStore.STATE), settings.aucBins(),
                settings.windowEvents());
        this.journal = new Journal(context.getStateStore(TrainerStateStore.JOURNAL), partBytes);
        this.checkpoints = new Checkpoints(context.getStateStore(TrainerStateStore.STATE), partBytes, batch, model, dense,
                embeddings, runner, metrics);
        this.publication = new Publication(model, rows, dense, batch.dim(), context.taskId().partition(),
                Checkpoints.DENSE_CHUNK_FLOATS, cadence.publishIntervalMs(), faults, context.taskId());
        this.jobs = new BatchJobs(batch, settings.predictions(), meters, faults, intake.maxRecordBytes(), context.taskId(),
                model, trainer, embeddings, runner, metrics, publication, dense);
        if (cadence.gate().enabled()) {
            jobs.gate(new PublicationGate(cadence.gate(), meters, context.taskId()));
        }
        embeddings.deferDurability(this::beforeCommit);
        restore();
        WarmStarts.seedIfFresh(context.applicationId(), context.taskId().partition(), jobs.batches(), embeddings.store(),
                model);
        jobs.passTotals().start(rows.rowCount());
        replayJournal();
        // Events a finished run held and a checkpoint restored may be more than a batch: trained now in
        // whole batches, cut as a journal replay cuts them, not left for the next record (if none comes,
        // the finish would hand them over as one batch)
        while (!finished && pending.size() >= batch.batchSize()) {
            trainHere(batch.batchSize());
        }
        lastCheckpointMs = context.currentSystemTimeMs();
        publication.startCadence(jobs.batches(), lastCheckpointMs);
        pipeline.start("inflight-trainer-" + context.applicationId() + "-" + context.taskId());
        int partition = context.taskId().partition();
        this.tasks = TrainerTasks.register(context.applicationId(), new TrainerTasks.View() {
            @Override
            public int partition() {
                return partition;
            }

            @Override
            public EmbeddingRows rows() {
                return rows;
            }

            @Override
            public byte[] digest() {
                return jobs.digest();
            }

            @Override
            public ProgressiveMetrics metrics(boolean window) {
                return metrics.copy(window);
            }

            @Override
            public TableStats tableStats() {
                return TableStats.of(rows, jobs.passTotals());
            }

            @Override
            public int pending() {
                return pending.size();
            }

            @Override
            public void finish() {
                BatchTrainerProcessor.this.finish();
                // trained and scored before the call returns: a call served right after it (the
                // summary) in the same round must see the last batch
                pipeline.awaitAll();
            }
        });
        context.schedule(TASK_CALLS_POLL, PunctuationType.WALL_CLOCK_TIME, t -> {
            maybePublish();
            pipeline.forwardDone(context);
            tasks.serveReads(); // metrics and counts: no need to stop the trainer thread (progress lines poll them)
            if (tasks.hasCalls()) {
                pipeline.awaitAll(); // calls read the model: only while the trainer thread is idle
                pipeline.forwardDone(context);
                tasks.serve();
                pipeline.awaitAll(); // a call may have handed a batch over (finish)
                pipeline.forwardDone(context);
            }
        });
    }

    /** Reloads everything held in memory between commits from the (restored) stores. */
    private void restore() {
        Checkpoints.Restored r = checkpoints.restore();
        jobs.restore(r.batches());
        pending.clear();
        pendingSources.clear();
        for (byte[] raw : r.pending()) {
            addPending(raw);
        }
        pipeline.restore(r.forwardedJobs(), r.jobs(), r.outputs());
        publication.restore(r.publishedAt());
        journal.markForwarded(pipeline.forwardedJobs());
        finishedAt(r.finishedAt());
    }

    /** The task finished in the run that stops at {@code offset}: in this run, if it is this run's stop offset. */
    private void finishedAt(long offset) {
        finishedAt = offset;
        finished = stopOffset >= 0 && offset == stopOffset;
    }

    /** Appends an event known by its raw record (restored or re-read from the journal) to the pending batch. */
    private void addPending(byte[] raw) {
        pending.add(intake.decoder().decode(raw));
        pendingSources.add(DeadLetters.Source.ofValue(raw, context.currentSystemTimeMs()));
    }

    /**
     * Re-applies the journal on top of the checkpoint just loaded: the events accepted (and the
     * dead letters counted) since the checkpoint, in order, trained in the same batches as the first
     * time, on this thread. Outputs a committed transaction already holds are not made again.
     */
    private void replayJournal() {
        journal.replay(new Journal.Visitor() {
            @Override
            public void event(byte[] raw) {
                addPending(raw);
                // >=: events a finished run held (checkpointed pending) may exceed a batch; held in this run
                if (!finished && pending.size() >= batch.batchSize()) {
                    trainHere(batch.batchSize());
                }
            }

            @Override
            public void finish(long runStopOffset) {
                trainAllPending(BatchTrainerProcessor.this::trainHere);
                finishedAt(runStopOffset);
            }

            @Override
            public void rejected() {
                metrics.rejected();
            }

            @Override
            public void forwarded(long n) {
                pipeline.forwardedThrough(n);
                journal.markForwarded(pipeline.forwardedJobs());
            }

            @Override
            public void publication() {
                long seq = pipeline.nextJob();
                pipeline.completed(jobs.publishJob(seq, context.currentSystemTimeMs(), pipeline.isForwarded(seq)));
            }
        }, context.taskId());
    }

    /** Trains the first {@code n} pending events as one batch on this thread (while the journal is re-applied). */
    private void trainHere(int n) {
        long seq = pipeline.nextJob();
        List<ClickEvent> events = new ArrayList<>(pending.subList(0, n));
        pipeline.completed(jobs.trainBatch(seq, events, jobs.prepare(events), new ArrayList<>(pendingSources.subList(0, n)), -1,
                context.currentSystemTimeMs(), pipeline.isForwarded(seq)));
        pending.subList(0, n).clear();
        pendingSources.subList(0, n).clear();
    }

    /**
     * Ends training in this run: the pending events are handed over as one batch, whole or not,
     * and the point journaled; the events processed later are held. Idempotent.
     */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        finishedAt = stopOffset;
        journal.finished(stopOffset);
        trainAllPending(this::handOver);
    }

    /** Every pending event, in whole batches and then the rest as one partial batch, each by {@code train}. */
    private void trainAllPending(IntConsumer train) {
        while (pending.size() > batch.batchSize()) {
            train.accept(batch.batchSize());
        }
        if (!pending.isEmpty()) {
            train.accept(pending.size());
        }
    }

    /** Hands the first {@code n} pending events to the trainer thread as one batch. */
    private void handOver(int n) {
        List<ClickEvent> events = new ArrayList<>(pending.subList(0, n));
        List<DeadLetters.Source> sources = new ArrayList<>(pendingSources.subList(0, n));
        long offset = firstOffset;
        long ts = context.currentSystemTimeMs();
        pending.subList(0, n).clear();
        pendingSources.subList(0, n).clear();
        firstOffset = -1;
        long seq = pipeline.nextJob();
        // Keys worked out here, off the trainer thread, while it has a backlog (a deep model); else
        // (a cheap model: this thread is the bottleneck) the trainer thread works them out itself.
        // The same keys either way.
        boolean here = pipeline.busy();
        BatchTrainer.Prepared prepared = here ? jobs.prepare(events) : null;
        pipeline.submit(() -> jobs.trainBatch(seq, events, here ? prepared : jobs.prepare(events), sources, offset, ts,
                false));
        publication.batchHandedOver();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (stopOffset >= 0 && !finished
                && context.recordMetadata().map(RecordMetadata::offset).orElse(-1L) >= stopOffset) {
            finish(); // the first record past the end: everything before it is trained, it and the rest held
        }
        ClickEvent event = intake.accept(context, record, metrics);
        journal.record(event != null, record.value());
        if (event == null) {
            return;
        }
        if (firstOffset < 0) {
            firstOffset = context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
        }
        pending.add(event);
        pendingSources.add(DeadLetters.Source.of(context, record));
        // >=: a restart may restore more than a batch of events a finished run held
        while (!finished && pending.size() >= batch.batchSize()) {
            handOver(batch.batchSize());
        }
        maybePublish();
        pipeline.forwardDone(context);
        if (heldBytes() >= cadence.checkpointMaxBytes()) {
            context.commit(); // a checkpoint at the next commit frees the journal
        }
    }

    /**
     * Asks the trainer thread for a publication when {@code inflight.publish.interval.ms} passed
     * since the last one and batches were handed over since; the point is journaled.
     */
    private void maybePublish() {
        if (!publication.isTimeDue(context.currentSystemTimeMs())) {
            return;
        }
        journal.publication();
        long seq = pipeline.nextJob();
        long ts = context.currentSystemTimeMs();
        pipeline.submit(() -> jobs.publishJob(seq, ts, false));
        publication.asked(context.currentSystemTimeMs());
    }

    /** Memory held until the next checkpoint: the journal and the staged rows. */
    private long heldBytes() {
        return journal.heldBytes() + jobs.stagedBytes();
    }

    /**
     * At every commit, before it is made: a checkpoint when due (after waiting for the trainer
     * thread), else the rest of the journal and how many batches' outputs were forwarded.
     */
    private void beforeCommit() {
        boolean due = cadence.checkpointIntervalMs() == 0 || heldBytes() >= cadence.checkpointMaxBytes()
                || context.currentSystemTimeMs() - lastCheckpointMs >= cadence.checkpointIntervalMs();
        // nothing since the last checkpoint (an idle task): nothing to write
        boolean changed = journal.changedSince(pipeline.forwardedJobs());
        if (due && changed && !closed) {
            pipeline.awaitAll();
            checkpoint();
        } else {
            long started = System.nanoTime();
            journal.commit(pipeline.forwardedJobs());
            meters.journal(System.nanoTime() - started, journal.heldBytes());
        }
    }

    /**
     * Makes the state of now durable: dense parameters, counters, policy state, metrics, the pending
     * batch and every row; then the journal is no longer needed and is deleted.
     */
    private void checkpoint() {
        long started = System.nanoTime();
        long held = heldBytes();
        checkpoints.write(jobs.batches(), pendingSources, pipeline.forwardedJobs(), pipeline.jobsSubmitted(),
                publication.publishedAt(), pipeline.encodeUnforwarded(), finishedAt);
        jobs.checkpointed();
        journal.checkpointed(pipeline.forwardedJobs());
        meters.checkpoint(System.nanoTime() - started, held);
        lastCheckpointMs = context.currentSystemTimeMs();
    }

    @Override
    public void close() {
        closed = true; // a commit after this writes only the journal (the model is released below)
        pipeline.close(context == null ? null : context.taskId());
        if (tasks != null) {
            tasks.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
