package io.inflight.trainer.topology;

import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.streams.EmbeddingStateStore;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.MalformedShardRecordException;
import io.inflight.topics.RejectReason;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.CadenceSettings;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.shard.BatchRows;
import io.inflight.trainer.state.TrainerStateStore;
import io.inflight.trainer.train.BatchTrainer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer task when rows live in row shards ({@code inflight.topology.shards} = S &gt; 0, issue
 * 16). It reads the events topic and the row-replies topic; it holds the dense model and a window
 * cache of the rows it updated lately, the shards the rows.
 *
 * <p>Per batch (cut by count, shorter if a shard's keys would not fit a record: {@link ShardBatch#cut};
 * numbered from 0) it sends one request per shard to the row-requests topic: the batch's keys of that
 * shard to pull, and the push of batch {@code b - W} (W = {@code inflight.topology.shard.window}): the
 * summed row gradients that batch gave the shard. A batch is sent once batch {@code b - W} is trained,
 * so at most W batches wait for answers. When all S replies of the oldest waiting batch are in, it is
 * scored and trained over the trainer's window cache ({@link BatchRows}): the replies hold every update
 * up to batch {@code b - W}, the cache the later ones, so every row is read with every update applied
 * and the model is bit for bit the one the trainer that holds its rows makes, whatever W. A request
 * unanswered for {@value #RESEND_MS} ms is sent again (a shard answers again, applies its push once).
 *
 * <p>Durability: as {@link BatchTrainerProcessor}, a checkpoint (dense state, batch counter, metrics,
 * the events not trained yet, the pushes not sent yet) every {@code inflight.checkpoint.interval.ms},
 * and between checkpoints a journal of the accepted events, committed with the input offsets. After a
 * restart the task reloads the checkpoint, re-cuts the journaled events into the same numbered
 * batches and sends them again; a shard skips a push of a batch it applied already (it keeps the last
 * batch applied per trainer), so every batch's row update is applied exactly once and every event
 * scored exactly once in the committed predictions (outputs a committed transaction holds are not made
 * again). What is not reproduced: a re-trained batch reads the rows as the shards hold them now (its
 * window cache starts empty), so the model after a restart is not bit-identical to a run without one.
 *
 * <p>Publication: dense parameters from here ({@link ShardedPublication}), rows from the shards, which
 * run the policies too (a reply names the rows evicted; the cache forgets them). The last W pushes go
 * out with the next requests, or at {@link TrainerTasks.View#finish finish}.
 */
public final class ShardedTrainerProcessor implements Processor<byte[], byte[], byte[], byte[]>, TrainerTasks.View {

    private static final Logger LOG = LoggerFactory.getLogger(ShardedTrainerProcessor.class);
    /** A request unanswered this long is sent again. */
    static final long RESEND_MS = 30_000;
    private static final Duration POLL = Duration.ofMillis(50);

    private final TrainerSettings settings;
    private final BatchSettings batch;
    private final StoreConfig store;
    private final CadenceSettings cadence;
    private final BatchModelFactory factory;
    private final TrainerMeters meters;
    private final Faults faults;
    private final int shards;
    private final int window;
    private final long cacheRows;
    private final Intake intake;

    private ProcessorContext<byte[], byte[]> context;
    private BatchModel model;
    private BatchTrainer trainer;
    private BatchRows rows;
    private PersistedMetrics metrics;
    private Journal journal;
    private ShardedCheckpoint checkpoints;
    private ShardedPublication publication;
    private TrainerTasks.Handle tasks;
    private final List<ClickEvent> pending = new ArrayList<>();
    private final List<DeadLetters.Source> pendingSources = new ArrayList<>();
    /** Batches cut and not trained yet, by number. */
    private final ArrayDeque<ShardBatch> waiting = new ArrayDeque<>();
    /** Pushes of trained batches not sent yet, by batch number. */
    private final TreeMap<Long, BatchRows.Push> held = new TreeMap<>();
    private long trained;
    private long cut;
    /** Batches whose outputs a committed transaction holds: trained again after a restart without outputs. */
    private long outputsThrough;
    private long lastCheckpointMs;
    private long duplicateReplies;
    /** Batches cut short so that their keys fit a record, and the most keys of one shard a batch may have. */
    private long splitBatches;
    private int maxKeysPerShard;
    private boolean closed;

    ShardedTrainerProcessor(TrainerSettings settings, BatchSettings batch, StoreConfig store, CadenceSettings cadence,
                            BatchModelFactory factory, TrainerMeters meters, Faults faults, int shards, int window,
                            long cacheRows) {
        this.settings = settings;
        this.batch = batch;
        this.store = store;
        this.cadence = cadence;
        this.factory = factory;
        this.meters = meters;
        this.faults = faults;
        this.shards = shards;
        this.window = window;
        this.cacheRows = cacheRows;
        this.intake = Intake.checked(settings, meters, faults);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        closed = false;
        pending.clear();
        pendingSources.clear();
        waiting.clear();
        held.clear();
        intake.init(context);
        int partBytes = Math.min(BatchTrainerProcessor.JOURNAL_RECORD_BYTES, intake.maxRecordBytes() / 2);
        model = factory.create(batch);
        rows = new BatchRows("rows at " + shards + " shards", store, shards, window, cacheRows);
        maxKeysPerShard = ShardBatch.maxKeysPerShard(intake.maxRecordBytes(), store);
        trainer = new BatchTrainer(batch, model, rows);
        trainer.policies(null);
        metrics = new PersistedMetrics(context.getStateStore(TrainerStateStore.STATE), settings.aucBins(),
                settings.windowEvents());
        journal = new Journal(context.getStateStore(TrainerStateStore.JOURNAL), partBytes);
        checkpoints = new ShardedCheckpoint(new CheckpointRecords(context.getStateStore(TrainerStateStore.STATE), partBytes,
                Checkpoints.DENSE_CHUNK_FLOATS), model, rows.stride(), shards);
        EmbeddingStateStore hook = context.getStateStore(TrainerTopology.COMMIT_HOOK);
        hook.deferDurability(this::beforeCommit);
        restore();
        lastCheckpointMs = context.currentSystemTimeMs();
        publication = new ShardedPublication(model, cadence.publishIntervalMs(), lastCheckpointMs);
        tasks = TrainerTasks.register(context.applicationId(), this);
        context.schedule(POLL, PunctuationType.WALL_CLOCK_TIME, t -> {
            sendReady();
            resendOverdue();
            publication.maybe(context, trained);
            tasks.serveReads();
            if (tasks.hasCalls()) {
                tasks.serve();
                sendReady();
            }
        });
    }

    /** What TrainerTasks calls see (on this task's thread). This trainer's number in its requests too: its partition. */
    @Override
    public int partition() {
        return context.taskId().partition();
    }

    /** The window cache: what this task holds of the table (the rest is the shards'). */
    @Override
    public EmbeddingStore rows() {
        return rows.cache();
    }

    @Override
    public byte[] digest() {
        return checkpoints.digest(trained);
    }

    @Override
    public ProgressiveMetrics metrics(boolean ofWindow) {
        return metrics.copy(ofWindow);
    }

    @Override
    public TableStats tableStats() {
        return TableStats.of(rows.cache(), new TableStats.PassTotals());
    }

    @Override
    public int pending() {
        return waiting.stream().mapToInt(b -> b.events().size()).sum() + pending.size();
    }

    @Override
    public boolean trained() {
        return waiting.isEmpty();
    }

    /** The checkpoint, then the journal on top of it: the events re-cut into the batches they were. */
    private void restore() {
        ShardedCheckpoint.Restored r = checkpoints.restore();
        trained = r.trained();
        cut = trained;
        outputsThrough = r.outputsThrough();
        held.putAll(r.held());
        for (byte[] raw : r.untrained()) {
            addPending(raw);
        }
        journal.replay(new Journal.Visitor() {
            @Override
            public void event(byte[] raw) {
                addPending(raw);
            }

            @Override
            public void rejected() {
                metrics.rejected();
            }

            @Override
            public void forwarded(long batches) {
                outputsThrough = Math.max(outputsThrough, batches);
                journal.markForwarded(batches);
            }

            @Override
            public void publication() {
            }

            @Override
            public void finish(long stopOffset) {
                cutAll();
            }
        }, context.taskId());
    }

    private void addPending(byte[] raw) {
        pending.add(intake.decoder().decode(raw));
        pendingSources.add(DeadLetters.Source.ofValue(raw, context.currentSystemTimeMs()));
        while (pending.size() >= batch.batchSize()) {
            cutBatch(batch.batchSize());
        }
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String topic = context.recordMetadata().map(RecordMetadata::topic).orElse("");
        if (topic.endsWith(TrainerTopology.REPLIES_TOPIC)) {
            reply(record);
        } else {
            event(record);
        }
    }

    private void event(Record<byte[], byte[]> record) {
        ClickEvent event = intake.accept(context, record, metrics);
        journal.record(event != null, record.value());
        if (event == null) {
            return;
        }
        pending.add(event);
        pendingSources.add(DeadLetters.Source.of(context, record));
        if (pending.size() >= batch.batchSize()) {
            while (pending.size() >= batch.batchSize()) {
                cutBatch(batch.batchSize());
            }
            sendReady();
        }
        if (journal.heldBytes() >= cadence.checkpointMaxBytes()) {
            context.commit();
        }
    }

    /** The first {@code n} pending events as batch {@link #cut}; their keys split by shard. */
    /** Cuts the next batch from the first {@code n} pending events, or fewer ({@link ShardBatch#cut}). */
    private void cutBatch(int n) {
        ShardBatch b = ShardBatch.cut(partition(), cut, pending, pendingSources, n, trainer, shards, rows.stride(),
                maxKeysPerShard);
        int m = b.events().size();
        if (m < n && splitBatches++ == 0) {
            LOG.info("task {}: batch {} holds {} of {} events: a shard's keys of more would not fit a record of {} bytes "
                    + "(counted from now on, and logged when the task closes)", context.taskId(), cut, m, n,
                    intake.maxRecordBytes());
        }
        pending.subList(0, m).clear();
        pendingSources.subList(0, m).clear();
        cut++;
        waiting.add(b);
    }

    /** Every pending event, in whole batches and then one partial batch; then the held pushes go out. */
    private void cutAll() {
        while (!pending.isEmpty()) {
            cutBatch(Math.min(batch.batchSize(), pending.size()));
        }
        // batches without events carry the last pushes (numbered like any batch: a restart makes them again)
        for (int i = 0; i < window; i++) {
            waiting.add(ShardBatch.of(partition(), cut++, List.of(), List.of(), trainer, shards, rows.stride()));
        }
    }

    /** Ends training for this run: every pending event is cut into batches and the last pushes follow. */
    @Override
    public void finish() {
        journal.finished(-1);
        cutAll();
        sendReady();
    }

    /** Sends every waiting batch whose push is ready (batch b - W trained), in order. */
    private void sendReady() {
        if (closed) {
            return;
        }
        for (ShardBatch b : waiting) {
            if (b.sent()) {
                continue;
            }
            if (b.number() - window >= trained) {
                return;
            }
            b.push(held.remove(b.number() - window), b.number() - window);
            send(b, false);
        }
    }

    private void send(ShardBatch b, boolean again) {
        long ts = context.currentSystemTimeMs();
        for (int s = 0; s < shards; s++) {
            if (again && b.answered(s)) {
                continue;
            }
            ShardRequest request = b.request(s);
            context.forward(new Record<>(ShardPushes.shardKey(s), RowShardCodec.encode(request), ts),
                    TrainerTopology.REQUESTS_SINK);
        }
        b.sentAt(ts);
    }

    private void resendOverdue() {
        long now = context.currentSystemTimeMs();
        ShardBatch head = waiting.peek();
        if (head != null && head.sent() && now - head.sentAt() >= RESEND_MS) {
            LOG.warn("task {}: batch {} waited {} ms for its rows from {} of {} shards; asking again", context.taskId(),
                    head.number(), now - head.sentAt(), shards - head.answeredCount(), shards);
            send(head, true);
        }
    }

    private void reply(Record<byte[], byte[]> record) {
        ShardReply reply;
        try {
            reply = RowShardCodec.decodeReply(record.value());
        } catch (MalformedShardRecordException e) {
            LOG.warn("task {}: a row reply cannot be read ({}); dead-lettered, its batch is asked for again in {} ms",
                    context.taskId(), e.getMessage(), RESEND_MS);
            DeadLetters.forward(context, record, e.reason(), e.getMessage(), intake.maxRecordBytes(),
                    TrainerTopology.DEAD_LETTER_SINK);
            return;
        }
        // waiting holds batches trained .. cut - 1 in order; another is trained already (or answered twice)
        ShardBatch b = waiting.stream().filter(w -> w.number() == reply.batch()).findFirst().orElse(null);
        if (b == null || !b.answer(reply)) {
            duplicateReplies++;
            return;
        }
        trainAnswered();
    }

    /** Trains the oldest waiting batches while all their replies are in. */
    private void trainAnswered() {
        while (!waiting.isEmpty() && waiting.peek().complete()) {
            ShardBatch b = waiting.poll();
            train(b);
            rows.evict(b.number());
            trained++;
            if (b.events().isEmpty() && waiting.isEmpty()) {
                publication.now(context, trained); // a finish trained: the model as it ends
            }
        }
        sendReady();
    }

    private void train(ShardBatch b) {
        if (b.events().isEmpty()) {
            return;
        }
        boolean outputs = b.number() >= outputsThrough;
        long ts = context.currentSystemTimeMs();
        rows.prime(b.number(), b.pulled(), b.rows(), b.evicted());
        List<ClickEvent> scored = new ArrayList<>();
        List<Float> logits = new ArrayList<>();
        BatchTrainer.Listener listener = (ev, logit) -> {
            scored.add(ev);
            logits.add(logit);
        };
        try {
            for (ClickEvent e : b.events()) {
                faults.check(Faults.Stage.TRAIN, e);
            }
            if (b.prepared() == null) {
                throw new IllegalStateException("the batch's keys could not be worked out");
            }
            trainer.step(b.prepared(), b.number(), listener);
            emit(scored, logits, outputs, ts);
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            rows.takePush(); // whatever the failed step scattered
            LOG.warn("task {}: training batch {} failed; its {} events are trained one at a time", context.taskId(),
                    b.number(), b.events().size(), e);
            for (int i = 0; i < b.events().size(); i++) {
                ClickEvent ev = b.events().get(i);
                scored.clear();
                logits.clear();
                try {
                    faults.check(Faults.Stage.TRAIN, ev);
                    trainer.step(List.of(ev), b.number(), listener);
                    emit(scored, logits, outputs, ts);
                } catch (RuntimeException ex) {
                    Faults.rethrowIfInfrastructure(ex);
                    metrics.rejected();
                    if (outputs) {
                        meters.rejected(RejectReason.INTERNAL_ERROR);
                        context.forward(DeadLetters.letter(b.sources().get(i), RejectReason.INTERNAL_ERROR,
                                Faults.describe("training", ex), intake.maxRecordBytes()), TrainerTopology.DEAD_LETTER_SINK);
                    }
                }
            }
        }
        BatchRows.Push push = rows.takePush();
        if (push != null) {
            held.put(b.number(), push);
        }
    }

    /** Counts the events a step scored and forwards their predictions (unless a committed transaction holds them). */
    private void emit(List<ClickEvent> scored, List<Float> logits, boolean outputs, long ts) {
        for (int i = 0; i < scored.size(); i++) {
            ClickEvent ev = scored.get(i);
            float logit = logits.get(i);
            if (Float.isFinite(logit)) {
                metrics.record(logit, ev.label());
                if (outputs) {
                    meters.event();
                }
            }
            if (outputs && settings.predictions()) {
                context.forward(new Record<>(null, Predictions.encode(ev.id(), ev.eventTimeMs(), ev.label(),
                        Losses.sigmoid(logit)), ts), TrainerTopology.PREDICTIONS_SINK);
            }
        }
    }

    /** At every commit: a checkpoint when due, else the journal with how many batches' outputs it holds. */
    private void beforeCommit() {
        boolean due = cadence.checkpointIntervalMs() == 0 || journal.heldBytes() >= cadence.checkpointMaxBytes()
                || context.currentSystemTimeMs() - lastCheckpointMs >= cadence.checkpointIntervalMs();
        if (due && journal.changedSince(trained) && !closed) {
            checkpoint();
        } else {
            journal.commit(trained);
        }
    }

    private void checkpoint() {
        long started = System.nanoTime();
        long heldBytes = journal.heldBytes();
        List<DeadLetters.Source> untrained = new ArrayList<>();
        for (ShardBatch b : waiting) {
            untrained.addAll(b.sources());
        }
        untrained.addAll(pendingSources);
        checkpoints.write(trained, Math.max(trained, outputsThrough), untrained, held);
        metrics.writeAll();
        journal.checkpointed(trained);
        meters.checkpoint(System.nanoTime() - started, heldBytes);
        lastCheckpointMs = context.currentSystemTimeMs();
    }

    @Override
    public void close() {
        if (rows != null && rows.cachedReads() > 0) {
            LOG.info("task {}: the window cache served {} reads whose replies lacked up to {} batches of updates (the "
                    + "window is {}); no read lagged; {} replies came again or late", context.taskId(), rows.cachedReads(),
                    rows.replyLagMax(), window, duplicateReplies);
        }
        if (splitBatches > 0) {
            LOG.info("task {}: {} batches were cut short so that a shard's keys fit a record", context.taskId(), splitBatches);
        }
        closed = true;
        if (tasks != null) {
            tasks.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
