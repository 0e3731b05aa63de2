package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.Losses;
import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.RowSink;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Field-aware mini-batch training with a {@link BatchModel}.
 *
 * <p>Valid events are appended to a pending batch; every {@code batchSize} events the batch is
 * scored (progressive validation: every event is scored by the model as it was before the batch),
 * trained, and the rows it touched are updated in the embedding store (row-wise Adagrad per chunk,
 * at each row's precision). Batches are cut by count, never by time, so the same input gives the
 * same batches and the same model on every run and after any crash.
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
 * whole batch is trained on the task's trainer thread, at most {@value #MAX_IN_FLIGHT} batches
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
 */
public final class BatchTrainerProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    static final String PENDING = "pending/";
    static final String DENSE_CHUNK = "dense/";
    static final String BATCHES = "batches";
    /** The policy runner's state, in parts ({@link #writeParts}). */
    static final String POLICY_STATE = "policy/";
    /** The pass state alone, as written before the per-batch state was checkpointed too. */
    private static final String LEGACY_POLICY_STATE = "policy";
    /** What the stored dense state belongs to: model, shape and optimizer. */
    static final String DENSE_SHAPE = "dense-shape";
    static final int DENSE_CHUNK_FLOATS = 16_384;
    /**
     * A journal record is written once the events buffered since the last one reach this size; it
     * is also the largest journal or checkpoint record (smaller when the producer's
     * {@code max.request.size} is: half of it). An entry may span records, so no event is too large.
     */
    static final int JOURNAL_RECORD_BYTES = 512 * 1024;
    /** The shared hashed rows ({@link io.inflight.store.SharedRows}), in parts, when the policies use them. */
    static final String SHARED_ROWS = "shared/";
    /** The pending batch at a checkpoint: length-prefixed raw records, in parts. */
    static final String PENDING_STREAM = "pending-stream/";
    /** Whole batches handed to the trainer thread and not yet answered, at most. */
    static final int MAX_IN_FLIGHT = 8;
    /** Journal entry length that marks a dead-lettered event (counted in the metrics). */
    private static final int REJECTED = -1;
    /** Journal entry: a long follows, the number of jobs whose outputs were forwarded by this commit. */
    private static final int FORWARDED_MARK = -2;
    /** Journal entry: a time-based publication at this point of the stream. */
    private static final int PUBLISH_MARK = -3;
    static final String FORWARDED = "forwarded";
    static final String JOBS = "jobs";
    static final String PUBLISHED_AT = "published-at";
    static final String OUTPUT = "output/";
    /** How often (wall-clock) calls queued by {@link TrainerTasks} run on the stream thread. */
    private static final java.time.Duration TASK_CALLS_POLL = java.time.Duration.ofMillis(50);
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final PolicySettings policy;
    private final CadenceSettings cadence;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final Intake intake;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> state;
    private CheckpointRecords records;
    private KeyValueStore<Long, byte[]> journal;
    private EmbeddingStateStore embeddings;
    private EmbeddingStore rows;
    /** The policy passes; null in mode none. */
    private PolicyRunner runner;
    private final TableStats.PassTotals passTotals = new TableStats.PassTotals();
    private BatchModel model;
    private PersistedMetrics metrics;
    private final List<ClickEvent> pending = new ArrayList<>();
    /** Where the events of {@link #pending} came from (their raw records are written with a checkpoint). */
    private final List<DeadLetters.Source> pendingSources = new ArrayList<>();
    /** The largest journal or checkpoint record: {@value #JOURNAL_RECORD_BYTES} or half the producer's limit. */
    private int partBytes = JOURNAL_RECORD_BYTES;
    private final Faults faults;
    /** Pending events stored one record each by an earlier version (deleted at the next checkpoint). */
    private int storedLegacyPending;
    private TrainerTasks.Handle tasks;
    private long batches;
    private long firstOffset = -1;
    private BatchTrainer trainer;
    private float[] dense;
    private boolean shapeWritten;
    /** Pending records stored at the last checkpoint. */
    private int storedPending;
    /** Journal entries not yet in a journal record. */
    private final java.io.ByteArrayOutputStream journalBuffer = new java.io.ByteArrayOutputStream();
    private long firstJournalSeq;
    private long nextJournalSeq;
    private long journalBytes;
    /** Wall-clock times (Streams' clock) of the last checkpoint and of the last publication asked for. */
    private long lastCheckpointMs;
    private boolean closed;
    /** Trains the whole batches; started after the journal was re-applied (on the stream thread). */
    private java.util.concurrent.ExecutorService trainerThread;
    /** Batches handed to the trainer thread, oldest first; each answers the records it emits. */
    private final java.util.ArrayDeque<java.util.concurrent.Future<JobOutput>> inFlight = new java.util.ArrayDeque<>();
    /** Outputs of trained batches not forwarded yet, oldest first (stream thread). */
    private final java.util.ArrayDeque<JobOutput> unforwarded = new java.util.ArrayDeque<>();
    /** Every job below this number had its outputs forwarded (stream thread). */
    private long forwardedJobs;
    /** Jobs (whole batches and time-based publications) handed to the trainer thread, ever (stream thread). */
    private long jobsSubmitted;
    /** Whole batches handed to the trainer thread, ever, and when the last publication was asked for. */
    private long batchesSubmitted;
    private long batchesAtLastPublish;
    /** The batch count at the last publication (trainer thread; durable: a restart publishes what is newer). */
    private long publishedAt;
    private long lastPublishMs;
    private long markedForwarded;
    /** The embedding store's staged bytes after the last batch (written by the trainer thread). */
    private volatile long stagedBytes;
    private int storedOutputs;
    private int storedPolicyParts;
    private int storedSharedParts;
    /** The model this task trains, in its model-updates keys: its clicks partition. */
    private int modelId;



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
        this.faults = faults;
        this.settings = settings;
        this.batch = batch;
        this.policy = policy;
        this.cadence = cadence;
        this.factory = factory;
        this.meters = meters;
        this.intake = new Intake(settings, meters, faults);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        intake.init(context);
        this.partBytes = Math.min(JOURNAL_RECORD_BYTES, intake.maxRecordBytes() / 2);
        this.modelId = context.taskId().partition();
        this.model = factory.create(batch);
        this.embeddings = context.getStateStore(TrainerStateStore.EMBEDDINGS);
        this.rows = embeddings.store();
        if (policy.mode() != PolicyMode.NONE) {
            this.runner = new PolicyRunner(policy, rows.chunkWidths(), batch.slots());
        }
        this.trainer = new BatchTrainer(batch, model, rows);
        trainer.policies(runner);
        this.state = context.getStateStore(TrainerStateStore.STATE);
        this.records = new CheckpointRecords(state, partBytes, DENSE_CHUNK_FLOATS);
        this.journal = context.getStateStore(TrainerStateStore.JOURNAL);
        this.dense = new float[model.denseSize()];
        this.metrics = new PersistedMetrics(state, settings.aucBins(), settings.windowEvents());
        embeddings.deferDurability(this::beforeCommit);
        restore();
        passTotals.start(rows.rowCount());
        replayJournal();
        batchesSubmitted = batches;
        batchesAtLastPublish = publishedAt; // changes trained but never published go out after the first interval
        lastCheckpointMs = context.currentSystemTimeMs();
        lastPublishMs = lastCheckpointMs;
        String threadName = "inflight-trainer-" + context.applicationId() + "-" + context.taskId();
        this.trainerThread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        int partition = context.taskId().partition();
        this.tasks = TrainerTasks.register(context.applicationId(), new TrainerTasks.View() {
            @Override
            public int partition() {
                return partition;
            }

            @Override
            public EmbeddingStore rows() {
                return rows;
            }

            @Override
            public byte[] digest() {
                return BatchTrainerProcessor.this.digest();
            }

            @Override
            public io.inflight.trainer.metrics.ProgressiveMetrics metrics(boolean window) {
                return BatchTrainerProcessor.this.metrics.copy(window);
            }

            @Override
            public TableStats tableStats() {
                return TableStats.of(rows, passTotals);
            }
        });
        context.schedule(TASK_CALLS_POLL, org.apache.kafka.streams.processor.PunctuationType.WALL_CLOCK_TIME, t -> {
            maybePublish();
            forwardDone();
            if (tasks.hasCalls()) {
                awaitTrainer(); // calls read the model: only while the trainer thread is idle
                forwardDone();
                tasks.serve();
            }
        });
    }

    private String denseShape() {
        // numeric fields only when there are some: shapes stored before they existed stay equal
        String numeric = batch.numericFields().isEmpty() ? "" : " numeric=" + batch.numericFields();
        return model.name() + " fields=" + batch.fields() + numeric + " D=" + batch.dim() + " hidden=" + batch.hidden()
                + " activation=" + batch.activation() + " optimizer=" + batch.optimizer() + " floats=" + model.denseSize();
    }

    /**
     * SHA-256 of the model of this task: every row (values, precisions, utilities, optimizer state),
     * the dense parameters with their optimizer state, and the batch counter.
     */
    private byte[] digest() {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(rows.digest());
            model.exportDense(dense);
            ByteBuffer b = ByteBuffer.allocate(4 * dense.length + 8);
            for (float v : dense) {
                b.putFloat(v);
            }
            md.update(b.putLong(batches).array());
            return md.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Reloads everything held in memory between commits from the (restored) store. */
    private void restore() {
        batches = records.getLong(BATCHES);
        String shape = denseShape();
        byte[] storedShape = state.get(DENSE_SHAPE);
        if (storedShape != null && !shape.equals(new String(storedShape, java.nio.charset.StandardCharsets.UTF_8))) {
            throw new IllegalStateException("store " + TrainerStateStore.STATE + " holds the dense state of "
                    + new String(storedShape, java.nio.charset.StandardCharsets.UTF_8) + ", but this trainer is " + shape
                    + "; train a changed model under a new inflight.application.id (or reset the application)");
        }
        shapeWritten = storedShape != null;
        boolean haveDense = records.readFloats(DENSE_CHUNK, dense);
        if (haveDense) {
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
        pending.clear();
        pendingSources.clear();
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
        for (byte[] bytes : raws) {
            pending.add(intake.decoder().decode(bytes));
            pendingSources.add(DeadLetters.Source.ofValue(bytes, context.currentSystemTimeMs()));
        }
        forwardedJobs = records.getLong(FORWARDED);
        jobsSubmitted = records.getLong(JOBS);
        publishedAt = records.getLong(PUBLISHED_AT);
        markedForwarded = forwardedJobs;
        unforwarded.clear();
        List<byte[]> parts = records.readParts(OUTPUT);
        ByteBuffer b = ByteBuffer.wrap(CheckpointRecords.join(parts));
        while (b.hasRemaining()) {
            unforwarded.add(JobOutput.decode(b));
        }
        storedOutputs = parts.size();
    }

    /** Every job below {@code n} had its outputs forwarded in a committed transaction. */
    private void forwardedThrough(long n) {
        forwardedJobs = Math.max(forwardedJobs, n);
        while (!unforwarded.isEmpty() && unforwarded.peek().seq() < forwardedJobs) {
            unforwarded.poll();
        }
    }

    /**
     * Re-applies the journal on top of the checkpoint just loaded: the events accepted (and the
     * dead letters counted) since the checkpoint, in order, trained in the same batches as the first
     * time. Publishes and forwards nothing.
     */
    private void replayJournal() {
        long started = System.nanoTime();
        long events = 0;
        long records = 0;
        firstJournalSeq = -1;
        nextJournalSeq = 0;
        journalBytes = 0;
        try (KeyValueIterator<Long, byte[]> it = journal.all()) {
            // the journal's records hold one stream of entries: an entry may continue in the next record
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.SequenceInputStream(
                    new java.util.Enumeration<java.io.InputStream>() {
                        @Override
                        public boolean hasMoreElements() {
                            return it.hasNext();
                        }

                        @Override
                        public java.io.InputStream nextElement() {
                            var kv = it.next();
                            if (firstJournalSeq < 0) {
                                firstJournalSeq = kv.key;
                            } else if (kv.key != nextJournalSeq) {
                                throw new IllegalStateException("store " + TrainerStateStore.JOURNAL + ": journal record "
                                        + nextJournalSeq + " is missing (next is " + kv.key + ")");
                            }
                            nextJournalSeq = kv.key + 1;
                            journalBytes += kv.value.length;
                            return new java.io.ByteArrayInputStream(kv.value);
                        }
                    }));
            for (int first; (first = in.read()) >= 0; ) {
                int n = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                if (n == REJECTED) {
                    metrics.rejected();
                    continue;
                }
                if (n == FORWARDED_MARK) {
                    forwardedThrough(in.readLong());
                    markedForwarded = forwardedJobs;
                    continue;
                }
                if (n == PUBLISH_MARK) {
                    long seq = jobsSubmitted++;
                    JobOutput o = publishJob(seq, context.currentSystemTimeMs(), seq < forwardedJobs);
                    if (seq >= forwardedJobs) {
                        unforwarded.add(o);
                    }
                    continue;
                }
                byte[] raw = new byte[n];
                in.readFully(raw);
                pending.add(intake.decoder().decode(raw));
                pendingSources.add(DeadLetters.Source.ofValue(raw, context.currentSystemTimeMs()));
                if (pending.size() == batch.batchSize()) {
                    // on this thread; outputs a committed transaction already holds are not made again
                    long seq = jobsSubmitted++;
                    List<ClickEvent> whole = new ArrayList<>(pending);
                    JobOutput o = trainBatch(seq, whole, prepare(whole), new ArrayList<>(pendingSources), -1,
                            context.currentSystemTimeMs(), seq < forwardedJobs);
                    if (seq >= forwardedJobs) {
                        unforwarded.add(o);
                    }
                    pending.clear();
                    pendingSources.clear();
                }
                events++;
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("store " + TrainerStateStore.JOURNAL + ": the journal ends inside an entry", e);
        }
        records = nextJournalSeq - Math.max(firstJournalSeq, 0);
        if (firstJournalSeq < 0) {
            firstJournalSeq = 0;
        }
        if (records > 0) {
            LOG.info("task {}: re-applied {} journaled events ({} records, {} bytes) on top of the checkpoint in {} ms",
                    context.taskId(), events, records, journalBytes, (System.nanoTime() - started) / 1_000_000);
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        ClickEvent event = intake.accept(context, record, metrics);
        if (event == null) {
            journalInt(REJECTED);
        } else {
            journalInt(record.value().length);
            journalBuffer.writeBytes(record.value());
        }
        if (journalBuffer.size() >= partBytes) {
            writeJournal();
        }
        if (event == null) {
            return;
        }
        if (firstOffset < 0) {
            firstOffset = context.recordMetadata().map(RecordMetadata::offset).orElse(-1L);
        }
        pending.add(event);
        pendingSources.add(DeadLetters.Source.of(context, record));
        if (pending.size() == batch.batchSize()) {
            List<ClickEvent> whole = new ArrayList<>(pending);
            List<DeadLetters.Source> sources = new ArrayList<>(pendingSources);
            long offset = firstOffset;
            long ts = context.currentSystemTimeMs();
            pending.clear();
            pendingSources.clear();
            firstOffset = -1;
            long seq = jobsSubmitted++;
            BatchTrainer.Prepared prepared = prepare(whole); // keys worked out here, off the trainer thread
            submit(() -> trainBatch(seq, whole, prepared, sources, offset, ts, false));
            batchesSubmitted++;
        }
        maybePublish();
        forwardDone();
        if (heldBytes() >= cadence.checkpointMaxBytes()) {
            context.commit(); // a checkpoint at the next commit frees the journal
        }
    }

    private void submit(java.util.concurrent.Callable<JobOutput> job) {
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            collectOldest();
        }
        inFlight.add(trainerThread.submit(job));
    }

    /**
     * Asks the trainer thread for a publication when {@code inflight.publish.interval.ms} passed
     * since the last one and batches were handed over since; the point is journaled.
     */
    private void maybePublish() {
        long interval = cadence.publishIntervalMs();
        if (interval == 0 || batchesSubmitted == batchesAtLastPublish
                || context.currentSystemTimeMs() - lastPublishMs < interval) {
            return;
        }
        journalInt(PUBLISH_MARK);
        long seq = jobsSubmitted++;
        long ts = context.currentSystemTimeMs();
        submit(() -> publishJob(seq, ts, false));
        batchesAtLastPublish = batchesSubmitted;
        lastPublishMs = context.currentSystemTimeMs();
    }

    /** Collects the oldest batch in flight, waiting for it if needed; its outputs join {@link #unforwarded}. */
    private void collectOldest() {
        java.util.concurrent.Future<JobOutput> f = inFlight.poll();
        try {
            unforwarded.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("training a batch failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        }
    }

    /**
     * Forwards the outputs of every batch trained so far, without waiting for the trainer thread.
     * Only from {@code process} or a punctuation.
     */
    private void forwardDone() {
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            collectOldest();
        }
        for (JobOutput o; (o = unforwarded.poll()) != null; ) {
            for (JobOutput.Output r : o.records()) {
                context.forward(r.record(), r.sink());
            }
            forwardedJobs = o.seq() + 1;
        }
    }

    /** Waits until every whole batch handed to the trainer thread is trained (outputs kept to forward). */
    private void awaitTrainer() {
        while (!inFlight.isEmpty()) {
            collectOldest();
        }
    }

    /** Memory held until the next checkpoint: the journal and the staged rows. */
    private long heldBytes() {
        return journalBytes + journalBuffer.size() + stagedBytes;
    }

    /**
     * At every commit, before it is made: a checkpoint when due (after waiting for the trainer
     * thread), else the rest of the journal and how many batches' outputs were forwarded.
     */
    private void beforeCommit() {
        boolean due = cadence.checkpointIntervalMs() == 0 || heldBytes() >= cadence.checkpointMaxBytes()
                || context.currentSystemTimeMs() - lastCheckpointMs >= cadence.checkpointIntervalMs();
        // nothing since the last checkpoint (an idle task): nothing to write
        boolean changed = journalBytes + journalBuffer.size() > 0 || forwardedJobs != markedForwarded;
        if (due && changed && !closed) {
            awaitTrainer();
            checkpoint();
        } else {
            if (forwardedJobs != markedForwarded) {
                journalInt(FORWARDED_MARK);
                journalBuffer.writeBytes(ByteBuffer.allocate(8).putLong(forwardedJobs).array());
                markedForwarded = forwardedJobs;
            }
            writeJournal();
        }
    }

    /** Appends a big-endian int to the journal buffer (what the replay reads with ByteBuffer.getInt). */
    private void journalInt(int v) {
        journalBuffer.write(v >>> 24);
        journalBuffer.write(v >>> 16);
        journalBuffer.write(v >>> 8);
        journalBuffer.write(v);
    }

    /** Writes the buffered journal entries in records of at most {@link #partBytes} (an entry may span records). */
    private void writeJournal() {
        if (journalBuffer.size() == 0) {
            return;
        }
        byte[] bytes = journalBuffer.toByteArray();
        journalBuffer.reset();
        for (int from = 0; from < bytes.length; from += partBytes) {
            byte[] part = from == 0 && bytes.length <= partBytes ? bytes
                    : java.util.Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + partBytes));
            journal.put(nextJournalSeq++, part);
        }
        journalBytes += bytes.length;
    }

    /**
     * Makes the state of now durable: dense parameters, counters, policy state, metrics, the pending
     * batch and every row; then the journal is no longer needed and is deleted.
     */
    private void checkpoint() {
        long started = System.nanoTime();
        model.exportDense(dense);
        writeDense();
        records.putLong(BATCHES, batches);
        if (runner != null) {
            storedPolicyParts = records.writeParts(POLICY_STATE, runner.exportState(), storedPolicyParts);
        }
        if (rows.shared() != null) {
            storedSharedParts = records.writeParts(SHARED_ROWS, rows.shared().exportState(), storedSharedParts);
        }
        metrics.writeAll();
        storedLegacyPending = records.writeAll(PENDING, List.of(), storedLegacyPending);
        java.io.ByteArrayOutputStream pendingBytes = new java.io.ByteArrayOutputStream();
        for (DeadLetters.Source src : pendingSources) {
            pendingBytes.writeBytes(ByteBuffer.allocate(4).putInt(src.value().length).array());
            pendingBytes.writeBytes(src.value());
        }
        storedPending = records.writeParts(PENDING_STREAM, pendingBytes.toByteArray(), storedPending);
        records.putLong(FORWARDED, forwardedJobs);
        records.putLong(JOBS, jobsSubmitted);
        records.putLong(PUBLISHED_AT, publishedAt);
        markedForwarded = forwardedJobs;
        storedOutputs = records.writeParts(OUTPUT, JobOutput.encode(unforwarded), storedOutputs);
        embeddings.checkpoint();
        stagedBytes = 0;
        for (long seq = firstJournalSeq; seq < nextJournalSeq; seq++) {
            journal.delete(seq);
        }
        firstJournalSeq = nextJournalSeq;
        journalBytes = 0;
        journalBuffer.reset();
        meters.checkpoint(System.nanoTime() - started);
        lastCheckpointMs = context.currentSystemTimeMs();
    }

    /**
     * {@code events}' keys worked out ({@link BatchTrainer#prepare}); null when that threw, so that
     * the trainer thread trains them one at a time and dead-letters the ones that fail.
     */
    private BatchTrainer.Prepared prepare(List<ClickEvent> events) {
        try {
            return trainer.prepare(events);
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            LOG.warn("task {}: preparing a batch of {} events failed; its events are trained one at a time",
                    context.taskId(), events.size(), e);
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
    private JobOutput trainBatch(long seq, List<ClickEvent> events, BatchTrainer.Prepared prepared,
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
                        context.taskId(), batches, offset, events.size(), e);
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
                        meters.rejected(io.inflight.topics.RejectReason.INTERNAL_ERROR);
                    }
                    LOG.warn("task {}: event {} of the batch from offset {} cannot be trained; dead-lettered",
                            context.taskId(), i, offset, ex);
                    out.add(new JobOutput.Output(TrainerTopology.DEAD_LETTER_SINK, DeadLetters.letter(sources.get(i),
                            io.inflight.topics.RejectReason.INTERNAL_ERROR, Faults.describe("training", ex),
                            intake.maxRecordBytes())));
                }
            }
        }
        stagedBytes = embeddings.stagedBytes();
        return new JobOutput(seq, replay ? List.of() : out);
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
            if (settings.predictions() && !replay) {
                out.add(new JobOutput.Output(TrainerTopology.PREDICTIONS_SINK, new Record<>(null, DeadLetters.prediction(ev.id(),
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
                LOG.info("policy pass at batch {}: {} rows, bytes {} -> {} (budget {}), chunks pruned {} re-allocated {}, "
                                + "rows evicted {} admitted {} grown {}, promotions {} demotions {}, {} ms", batches,
                        r.rowsVisited(), r.bytesBefore(), r.bytesAfter(), r.budgetBytes(), r.chunksPruned(),
                        r.chunksReallocated(), r.rowsEvicted(), r.rowsAdmitted(), r.rowsGrown(), r.promotions(),
                        r.demotions(), r.durationNanos() / 1_000_000);
            } catch (RuntimeException e) {
                Faults.rethrowIfInfrastructure(e);
                LOG.error("task {}: the policy pass at batch {} failed; training goes on", context.taskId(), batches, e);
            }
        }
        if (batch.publishEveryBatches() > 0 && batches % batch.publishEveryBatches() == 0) {
            publishGuarded(out, ts, replay);
        }
    }

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
            scoredEvents = java.util.Arrays.copyOf(scoredEvents, n);
            scoredLogits = java.util.Arrays.copyOf(scoredLogits, n);
        }
        scoredEvents[scoredCount] = ev;
        scoredLogits[scoredCount++] = logit;
    };

    /** A time-based publication (job {@code seq}); in a replay only the changed set is cleared. */
    private JobOutput publishJob(long seq, long ts, boolean replay) {
        List<JobOutput.Output> out = new ArrayList<>();
        publishGuarded(out, ts, replay);
        return new JobOutput(seq, replay ? List.of() : out);
    }

    /**
     * Publishes (in a replay: only clears the changed set, published before the restart in a
     * committed transaction). A publication that throws anything but an infrastructure failure
     * emits nothing and keeps the changed rows for the next one.
     */
    private void publishGuarded(List<JobOutput.Output> out, long ts, boolean replay) {
        int mark = out.size();
        try {
            faults.check(Faults.Stage.PUBLISH, batches);
            if (replay) {
                rows.clearChanged();
                publishedAt = batches;
            } else {
                publish(out, ts);
            }
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            out.subList(mark, out.size()).clear();
            LOG.error("task {}: the publication at batch {} failed; its rows are published with the next one",
                    context.taskId(), batches, e);
        }
    }

    private void writeDense() {
        if (!shapeWritten) {
            state.put(DENSE_SHAPE, denseShape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            shapeWritten = true;
        }
        records.writeFloats(DENSE_CHUNK, dense);
    }

    /**
     * Publishes every row changed since the last publication (with its chunk mask and the widest
     * precision among its stored chunks; a tombstone for an evicted row), and the dense parameters
     * (without their optimizer state).
     */
    private void publish(List<JobOutput.Output> out, long ts) {
        model.exportDense(dense);
        int d = batch.dim();
        rows.forEachChanged(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                int bits = 0;
                for (int c = 0; c < precisions.length; c++) {
                    if ((mask & (1 << c)) != 0) {
                        bits = Math.max(bits, precisions[c].bits());
                    }
                }
                out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.rowKey(modelId, key),
                        ModelUpdateCodec.row(linear, values, 0, d, mask, bits), ts)));
            }

            @Override
            public void evicted(long key) {
                out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.rowKey(modelId, key),
                        (byte[]) null, ts)));
            }
        });
        int parameters = model.parameterCount(); // serving needs no optimizer state
        for (int c = 0; c * DENSE_CHUNK_FLOATS < parameters; c++) {
            int n = Math.min(DENSE_CHUNK_FLOATS, parameters - c * DENSE_CHUNK_FLOATS);
            out.add(new JobOutput.Output(TrainerTopology.MODEL_UPDATES_SINK, new Record<>(ModelUpdateCodec.denseKey(modelId, c),
                    ModelUpdateCodec.dense(batches, dense, c * DENSE_CHUNK_FLOATS, n, parameters), ts)));
        }
        rows.clearChanged();
        publishedAt = batches;
    }

    @Override
    public void close() {
        closed = true; // a commit after this writes only the journal (the model is released below)
        if (trainerThread != null) {
            // Streams commits before it closes a processor cleanly, so nothing here is still to be
            // forwarded; after a failure the open transaction (and what it would have held) is aborted.
            trainerThread.shutdown();
            try {
                if (!trainerThread.awaitTermination(5, java.util.concurrent.TimeUnit.MINUTES)) {
                    LOG.warn("task {}: the trainer thread did not finish its batch in 5 minutes", context.taskId());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlight.clear();
        }
        if (tasks != null) {
            tasks.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
