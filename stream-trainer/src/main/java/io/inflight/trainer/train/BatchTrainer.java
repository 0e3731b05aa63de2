package io.inflight.trainer.train;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.RowAccess;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One mini-batch step, free of Kafka: gather the rows of a batch's features from the
 * {@link EmbeddingRows} into per-field slots, score every event with the current model (before
 * learning), take the model's dense step, and scatter the summed row gradients back (the store
 * applies row-wise Adagrad per chunk, updates the FIITED utilities and writes each row at its
 * precision). The configured numeric fields ({@link BatchSettings#numericFields()}) are fed to the
 * dense layers through {@link NumericInputs}. With {@link #policies} set, a step also follows the
 * policies' trainer contract (admission, initial chunks, ESAPN observations, FIITED-2D importance).
 * The Streams processor and the in-process benchmarks both run this class, so they train identically.
 *
 * <p>Each distinct key of a batch is gathered and scattered once, in ascending key order, with its
 * number of occurrences as its accesses: results never depend on hash order. Not thread-safe,
 * except {@link #prepare}, which may run on another thread than the steps.
 */
public final class BatchTrainer {

    /** What a step reports back. */
    @FunctionalInterface
    public interface Listener {
        /** An event of the batch was scored {@code logit} before learning. */
        void scored(ClickEvent event, float logit);
    }

    private final BatchSettings settings;
    private final BatchModel model;
    /** The rows a step gathers and scatters: a local table, or row shards reached through requests. */
    private final RowAccess rows;
    private final Map<String, Integer> slotOf = new HashMap<>();
    /** Per slot: its field's {@link FeatureKeys#fieldPrefix} (the name hashed once, not per value). */
    private final long[] slotPrefix;
    private final NumericInputs numeric;
    private final int stride;
    private final float[] emb;
    private final float[] lin;
    private final float[] logits;
    private final float[] embGrad;
    private final float[] linGrad;
    private float[] rowBuf = new float[1024];
    private float[] gradBuf = new float[1024];
    /** The policies the steps feed (admission, growth, dimension importance); null: none. */
    private PolicyRunner policies;
    /** The step's policy part; null without policies. */
    private PolicyStep policyStep;

    /**
     * A batch with its keys worked out: what {@link #step(Prepared, long, Listener)} needs besides
     * the rows and the model. Made by {@link #prepare} from the events alone, on any thread.
     */
    public static final class Prepared {
        List<ClickEvent> events;
        final float[] labels;
        /** Per (event, slot): where its keys start in the occurrences; slotStart[b*F] = total. */
        final int[] slotStart;
        final int[] fill;
        /** Per field of the event being prepared: its slot, or -1 when it is not a model field. */
        int[] fieldSlot = new int[64];
        /** Per event: its numeric inputs, transformed ({@code [b][numeric fields]}). */
        final float[] num;
        /** Every (event, slot)'s keys, in order. */
        long[] occurrences = new long[1024];
        /** Per occurrence: the index of its key among the distinct keys. */
        int[] occurrenceRow = new int[1024];
        /** The distinct keys, ascending, and how often each occurs. */
        long[] keys = new long[1024];
        int[] accesses = new int[1024];
        int distinct;

        private Prepared(int batchSize, int fields, int numeric) {
            this.labels = new float[batchSize];
            this.slotStart = new int[batchSize * fields + 1];
            this.fill = new int[fields];
            this.num = new float[batchSize * numeric];
        }

        public int size() {
            return events.size();
        }

        /** The batch's distinct keys, ascending, in {@code keys()[0 .. distinct())} (the array is reused). */
        public long[] keys() {
            return keys;
        }

        /** How many distinct keys the batch has. */
        public int distinct() {
            return distinct;
        }
    }

    /**
     * Buffers of prepared batches whose step is done, for the next {@link #prepare}: the trainer
     * allocates none per batch (one when prepare and step alternate on one thread, a few when a
     * stream thread prepares ahead of a trainer thread).
     */
    private final ConcurrentLinkedQueue<Prepared> spare = new ConcurrentLinkedQueue<>();

    /**
     * A trainer over {@code rows}: a local table ({@link EmbeddingRows}, which the policies need) or
     * any other {@link RowAccess}, e.g. row shards, trained without policies.
     */
    public BatchTrainer(BatchSettings settings, BatchModel model, RowAccess rows) {
        if (rows.dim() != settings.dim()) {
            throw new IllegalArgumentException("store " + rows.name() + " has D = " + rows.dim() + " but the model has D = "
                    + settings.dim());
        }
        if (model.numericFields() != settings.numericInputs()) {
            throw new IllegalArgumentException("model " + model.name() + " takes " + model.numericFields()
                    + " numeric inputs but the settings list " + settings.numericInputs() + ": "
                    + settings.numericFields());
        }
        this.settings = settings;
        this.model = model;
        this.rows = rows;
        this.numeric = new NumericInputs(settings.numericFields());
        this.slotPrefix = new long[settings.fields().size()];
        for (int i = 0; i < settings.fields().size(); i++) {
            slotOf.put(settings.fields().get(i), i);
            slotPrefix[i] = FeatureKeys.fieldPrefix(settings.fields().get(i));
        }
        int b = settings.batchSize();
        int f = settings.slots();
        int d = settings.dim();
        this.stride = rows.stride();
        this.emb = new float[b * f * d];
        this.lin = new float[b * f];
        this.logits = new float[b];
        this.embGrad = new float[b * f * d];
        this.linGrad = new float[b * f];
    }

    /**
     * The store settings that match {@code s} at full precision and fixed dimension: one chunk of D,
     * fp32, row-wise Adagrad at the embedding learning rate, random initial values with the
     * configured standard deviation (uniform, so half-width √3·σ).
     */
    public static StoreConfig fullPrecision(BatchSettings s, int hotRows) {
        return new StoreConfig(ChunkLayout.of(s.dim()), Precision.FP32, hotRows, s.seed(), (float) s.embeddingLearningRate(),
                (float) s.l2(), 1e-8f, new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.9f), ChunkInit.RANDOM,
                (float) (Math.sqrt(3) * s.initStddev()), true);
    }

    /**
     * Makes every step follow the trainer contract of {@code runner} ({@link PolicyRunner}): new
     * rows start with its initial chunks, features without a row pass its frequency admission, the
     * growth policy sees every feature of a batch with its loss, and FIITED-2D's dimension
     * importance gets every row gradient. The passes themselves are the caller's (between steps).
     *
     * @throws IllegalStateException when {@code runner} has a mode other than none and the rows are
     *                               not a local table ({@link EmbeddingRows})
     */
    public void policies(PolicyRunner runner) {
        if (runner != null && runner.settings().mode() == PolicyMode.NONE) {
            runner = null;
        }
        if (runner != null && !(rows instanceof EmbeddingRows)) {
            throw new IllegalStateException("policy mode " + runner.settings().mode().configName()
                    + " needs a local table, but the rows of " + rows.name() + " are " + rows.getClass().getSimpleName());
        }
        this.policies = runner;
        this.policyStep = runner == null ? null : new PolicyStep(settings, (EmbeddingRows) rows, runner);
        if (runner == null) {
            rows.newRowMask((1 << rows.chunkWidths().length) - 1);
        } else if (rows.shared() == null) {
            long h = runner.settings().sharedRows(rows.dim());
            if (h > 0) {
                // the plain hashing trick (mode hash) is ungated; elsewhere a field's gate scales the
                // shared rows its features fall back to
                int gated = runner.settings().mode() == PolicyMode.HASH ? 0 : settings.slots();
                rows.attachShared(new SharedRows((int) h, gated, rows.config()));
            }
        }
    }

    public BatchModel model() {
        return model;
    }

    public RowAccess rows() {
        return rows;
    }

    /**
     * Scores and learns from {@code batch} (at most the batch size) as training step {@code step}.
     *
     * @return false when the model refused a non-finite step (nothing was written)
     */
    public boolean step(List<ClickEvent> batch, long step, Listener listener) {
        return step(prepare(batch), step, listener);
    }

    /**
     * Works out a batch's keys: each (event, slot)'s feature keys, the distinct keys in ascending
     * order with their access counts; and each event's numeric inputs. Reads only the events and the
     * field lists, so it may run on another thread than the steps (the streaming trainer does it on
     * the stream thread).
     */
    public Prepared prepare(List<ClickEvent> batch) {
        int b = batch.size();
        if (b > settings.batchSize()) {
            throw new IllegalArgumentException("batch of " + b + " exceeds the batch size " + settings.batchSize());
        }
        int f = settings.slots();
        Prepared p = spare.poll();
        if (p == null) {
            p = new Prepared(settings.batchSize(), f, numeric.size());
        }
        p.events = batch;
        int[] slotStart = p.slotStart;
        int[] fill = p.fill;
        float[] labels = p.labels;
        long[] occurrences = p.occurrences;
        Arrays.fill(slotStart, 0, b * f + 1, 0);
        int n = 0;
        for (int e = 0; e < b; e++) {
            ClickEvent event = batch.get(e);
            labels[e] = event.label();
            numeric.fill(event, p.num, e * numeric.size());
            int cellBase = e * f;
            // fields may come in any order: count per slot first, then place
            List<ClickEvent.Field> fields = event.fields();
            int nFields = fields.size();
            if (p.fieldSlot.length < nFields) {
                p.fieldSlot = new int[Math.max(nFields, p.fieldSlot.length * 2)];
            }
            int[] fieldSlot = p.fieldSlot;
            for (int i = 0; i < nFields; i++) {
                ClickEvent.Field field = fields.get(i);
                Integer slot = slotOf.get(field.name());
                fieldSlot[i] = slot == null ? -1 : slot;
                if (slot != null) {
                    slotStart[cellBase + slot] += field.values().size();
                }
            }
            int start = n;
            for (int s = 0; s < f; s++) {
                int count = slotStart[cellBase + s];
                slotStart[cellBase + s] = start;
                start += count;
            }
            if (occurrences.length < start) {
                occurrences = Arrays.copyOf(occurrences, Math.max(start, occurrences.length * 2));
                p.occurrences = occurrences;
            }
            Arrays.fill(fill, 0);
            for (int i = 0; i < nFields; i++) {
                int slot = fieldSlot[i];
                if (slot < 0) {
                    continue;
                }
                List<String> values = fields.get(i).values();
                long prefix = slotPrefix[slot];
                for (int j = 0, nv = values.size(); j < nv; j++) {
                    occurrences[slotStart[cellBase + slot] + fill[slot]++] = FeatureKeys.key(prefix, values.get(j));
                }
            }
            n = start;
        }
        slotStart[b * f] = n;
        if (p.keys.length < n) {
            p.keys = new long[Math.max(n, p.keys.length * 2)];
            p.accesses = new int[p.keys.length];
            p.occurrenceRow = new int[p.keys.length];
        }
        long[] keys = p.keys;
        System.arraycopy(occurrences, 0, keys, 0, n);
        Arrays.sort(keys, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || keys[i] != keys[distinct - 1]) {
                keys[distinct++] = keys[i];
            }
        }
        int[] accesses = p.accesses;
        Arrays.fill(accesses, 0, distinct, 0);
        int[] occurrenceRow = p.occurrenceRow;
        for (int o = 0; o < n; o++) {
            int r = Arrays.binarySearch(keys, 0, distinct, occurrences[o]);
            occurrenceRow[o] = r;
            accesses[r]++;
        }
        p.distinct = distinct;
        return p;
    }

    /**
     * Scores and learns from a prepared batch as training step {@code step}; {@code p} is reused by
     * a later {@link #prepare} afterwards.
     *
     * @return false when the model refused a non-finite step (nothing was written)
     */
    public boolean step(Prepared p, long step, Listener listener) {
        try {
            return stepPrepared(p, step, listener);
        } finally {
            p.events = null;
            spare.add(p);
        }
    }

    private boolean stepPrepared(Prepared p, long step, Listener listener) {
        int b = p.events.size();
        int f = settings.slots();
        int d = settings.dim();
        int distinct = p.distinct;
        int[] slotStart = p.slotStart;
        int[] occurrenceRow = p.occurrenceRow;
        ensureRowBuffers(distinct);
        PolicyStep policy = policyStep;
        if (policy == null) {
            rows.gather(p.keys, distinct, rowBuf);
        } else {
            policy.beforeGather(distinct);
            rows.gather(p.keys, distinct, rowBuf, policy.rowMask(), policy.rowAccesses());
            policy.afterGather(p, rowBuf);
        }

        Arrays.fill(emb, 0, b * f * d, 0f);
        Arrays.fill(lin, 0, b * f, 0f);
        for (int e = 0; e < b; e++) {
            for (int s = 0; s < f; s++) {
                int cell = e * f + s;
                int base = cell * d;
                for (int o = slotStart[cell]; o < slotStart[cell + 1]; o++) {
                    int r = occurrenceRow[o] * stride;
                    for (int j = 0; j < d; j++) {
                        emb[base + j] += rowBuf[r + j];
                    }
                    lin[cell] += rowBuf[r + d];
                }
            }
        }
        model.forward(emb, lin, p.num, b, logits);
        for (int e = 0; e < b; e++) {
            listener.scored(p.events.get(e), logits[e]);
        }
        if (!model.backward(p.labels, b, embGrad, linGrad)) {
            return false;
        }
        Arrays.fill(gradBuf, 0, distinct * stride, 0f);
        for (int cell = 0; cell < b * f; cell++) {
            int base = cell * d;
            for (int o = slotStart[cell]; o < slotStart[cell + 1]; o++) {
                int r = occurrenceRow[o] * stride;
                for (int j = 0; j < d; j++) {
                    gradBuf[r + j] += embGrad[base + j];
                }
                gradBuf[r + d] += linGrad[cell];
            }
        }
        if (policy == null) {
            rows.scatter(p.keys, p.accesses, distinct, gradBuf, step);
        } else {
            policy.afterBackward(p, gradBuf, logits, step);
        }
        return true;
    }

    /** New rows refused because they would have crossed the budget before the next pass, since creation. */
    public long budgetRefused() {
        return policyStep == null ? 0 : policyStep.budgetRefused();
    }

    private void ensureRowBuffers(int distinct) {
        if (rowBuf.length < distinct * stride) {
            rowBuf = new float[distinct * stride * 2];
            gradBuf = new float[rowBuf.length];
        }
    }
}
