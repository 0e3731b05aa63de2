package io.inflight.ops.serve;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.model.BatchModelFactory;
import io.inflight.trainer.train.NumericInputs;
import io.inflight.ops.snapshot.ModelSnapshot;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model as a serving replica sees it: the latest published weights of every row, the latest
 * dense parameters and the trainer's shared hashed rows with their gates ({@link ServedSharedRows}),
 * applied from {@code <prefix>.model-updates}, and the same scoring path as the trainer (per-field
 * slots, the numeric fields through {@link NumericInputs}, then {@link BatchModel#forward}).
 *
 * <p>A feature reads its row; a stored row's pruned chunks read {@code gate(field) x} its shared
 * row's dimensions; a feature without a row reads {@code gate(field) x} its shared row, as the
 * trainer reads a feature it refused a row for want of room. One approximation: the trainer reads
 * zeros for a feature it has not seen often enough yet to admit (it cannot tell a replica which), a
 * replica reads its gated shared row for it too.
 *
 * <p>Thread-safety: {@link #apply} and {@link #score} are synchronized; a replica applies updates on
 * its consumer thread and scores on HTTP threads.
 */
public final class ServingModel {

    private final BatchSettings settings;
    private final BatchModel model;
    private final Map<Long, Row> rows = new HashMap<>();
    private final ServedSharedRows shared;
    /** One feature's reads: D values, then the linear weight. */
    private final float[] feature;
    private final Map<String, Integer> slotOf = new HashMap<>();
    private float[] dense;
    private long denseVersion = -1;
    private int denseChunksSeen;
    private final float[] emb;
    private final float[] lin;
    private final NumericInputs numeric;
    private final float[] num;
    private final float[] logit = new float[1];
    private final int modelId;

    /** The replica of model 0: the one model of {@code inflight.topology.models=one}, or clicks partition 0's replica. */
    public ServingModel(BatchSettings settings, BatchModelFactory factory) {
        this(settings, factory, 0);
    }

    /**
     * @param modelId the model to serve: 0 with {@code inflight.topology.models=one}; with per-partition,
     *                the clicks partition whose trainer published it; updates of other models are ignored
     */
    public ServingModel(BatchSettings settings, BatchModelFactory factory, int modelId) {
        this.modelId = modelId;
        this.settings = settings;
        this.model = factory.create(settings);
        this.dense = new float[model.denseSize()];
        for (int i = 0; i < settings.fields().size(); i++) {
            slotOf.put(settings.fields().get(i), i);
        }
        this.emb = new float[settings.slots() * settings.dim()];
        this.lin = new float[settings.slots()];
        this.numeric = new NumericInputs(settings.numericFields());
        this.num = new float[numeric.size()];
        this.shared = new ServedSharedRows(settings.dim(), settings.slots());
        this.feature = new float[settings.dim() + 1];
    }

    /** A published row: its chunk mask, precision bits and {@code [linear, embedding...]}. */
    private record Row(int mask, int bits, float[] weights) {
    }

    /** Applies one model-updates record (a null value is a tombstone: the row is gone). */
    public synchronized void apply(byte[] key, byte[] value) {
        if (key == null || key.length == 0) {
            throw new IllegalArgumentException("model update without a key");
        }
        ModelUpdateCodec.Key k;
        try {
            k = ModelUpdateCodec.parseKey(key);
        } catch (IllegalArgumentException e) {
            return; // not a model update of this format: nothing to apply
        }
        if (k.model() != modelId) {
            return; // another partition's model replica
        }
        if (k.kind() == ModelUpdateCodec.Kind.SHARED) {
            if (value != null) { // a tombstone only drops a chunk a halving left beyond the table
                shared.apply(ModelUpdateCodec.decodeSharedChunk(value));
            }
        } else if (k.kind() == ModelUpdateCodec.Kind.GATES) {
            if (value != null) {
                shared.apply(ModelUpdateCodec.decodeGates(value));
            }
        } else if (k.row()) {
            long rowKey = k.id();
            if (value == null) {
                rows.remove(rowKey);
                return;
            }
            ModelUpdateCodec.Row row = ModelUpdateCodec.decodeRow(value);
            if (row.dim() != settings.dim()) {
                throw new IllegalArgumentException("row " + rowKey + " has dimension " + row.dim() + ", this replica serves "
                        + settings.dim() + "; check inflight.model.dim");
            }
            float[] r = new float[1 + row.dim()];
            r[0] = row.linear();
            System.arraycopy(row.embedding(), 0, r, 1, row.dim());
            rows.put(rowKey, new Row(row.chunkMask(), row.bits(), r));
        } else if (value != null) {
            ByteBuffer b = ByteBuffer.wrap(value);
            int version = b.get() & 0xFF;
            int kind = b.get();
            if (version != ModelUpdateCodec.VERSION || kind != ModelUpdateCodec.KIND_DENSE) {
                throw new IllegalArgumentException("unsupported dense update: version " + version + ", kind " + kind);
            }
            long modelVersion = b.getInt() & 0xFFFFFFFFL;
            int total = b.getInt();
            int offset = b.getInt();
            if (total != model.parameterCount() && total != dense.length) {
                throw new IllegalArgumentException("dense update of " + total + " floats, this replica's model has "
                        + model.parameterCount() + " parameters; check the model settings");
            }
            if (offset < 0 || offset + b.remaining() / 4 > total) {
                throw new IllegalArgumentException("dense chunk at offset " + offset + " with " + b.remaining() / 4
                        + " floats does not fit " + total + " floats");
            }
            // Parameters only (the optimizer state after them stays zero: scoring does not read it).
            for (int i = offset; b.hasRemaining(); i++) {
                dense[i] = b.getFloat();
            }
            if (modelVersion != denseVersion) {
                denseVersion = modelVersion;
                denseChunksSeen = 0;
            }
            denseChunksSeen++;
            model.importDense(dense);
        }
    }

    /** Probability of a click for {@code event}, and how many of its features had a published row. */
    public synchronized Score score(ClickEvent event) {
        Arrays.fill(emb, 0f);
        Arrays.fill(lin, 0f);
        int found = 0;
        int features = 0;
        int d = settings.dim();
        for (ClickEvent.Field f : event.fields()) {
            Integer slot = slotOf.get(f.name());
            if (slot == null) {
                continue;
            }
            for (String v : f.values()) {
                features++;
                long key = FeatureKeys.key(f.name(), v);
                Row r = rows.get(key);
                if (r == null) {
                    shared.read(key, slot, feature, 0); // never published (or evicted)
                } else {
                    found++;
                    System.arraycopy(r.weights(), 1, feature, 0, d);
                    feature[d] = r.weights()[0];
                    shared.readPruned(key, slot, r.mask(), feature, 0);
                }
                for (int j = 0; j < d; j++) {
                    emb[slot * d + j] += feature[j];
                }
                lin[slot] += feature[d];
            }
        }
        numeric.fill(event, num, 0);
        model.forward(emb, lin, num, 1, logit);
        return new Score(1.0 / (1.0 + Math.exp(-logit[0])), logit[0], features, found);
    }

    /** A score: probability, logit, the event's features in served fields, and how many had a row. */
    public record Score(double p, double logit, int features, int rowsFound) {
    }

    public synchronized int rows() {
        return rows.size();
    }

    /** Batches the trainer had trained when it published the dense parameters last seen (-1: none yet). */
    public synchronized long denseVersion() {
        return denseVersion;
    }

    /** A copy of a row's published weights {@code [linear, embedding...]}, or null. */
    public synchronized float[] row(long key) {
        Row r = rows.get(key);
        return r == null ? null : r.weights().clone();
    }

    /** Shared hashed rows received of the trainer's current table (0 without any). */
    public synchronized int sharedRowsHeld() {
        return shared.held();
    }

    /** H, the trainer's shared hashed rows as last published (0: none published). */
    public synchronized int sharedRows() {
        return shared.tableRows();
    }

    /**
     * The model held now as a snapshot: rows in ascending key order, the dense parameters, the shared
     * rows and gates (when any were received); {@code shaping}, {@code topic} and {@code offsets} as
     * the caller read them.
     */
    public synchronized ModelSnapshot snapshot(String applicationId, Map<String, String> shaping, String topic,
                                               Map<Integer, Long> offsets) {
        List<ModelSnapshot.Row> out = new ArrayList<>(rows.size());
        rows.entrySet().stream().sorted(Map.Entry.comparingByKey(Long::compareUnsigned)).forEach(e -> out.add(
                new ModelSnapshot.Row(e.getKey(), e.getValue().mask(), e.getValue().bits(), e.getValue().weights()[0],
                        Arrays.copyOfRange(e.getValue().weights(), 1, 1 + settings.dim()))));
        float[] params = denseVersion < 0 ? new float[0] : Arrays.copyOf(dense, model.parameterCount());
        return new ModelSnapshot(applicationId, modelId, shaping, topic, offsets, settings.dim(), out, denseVersion,
                params, shared.snapshot());
    }

    /**
     * Applies a snapshot as the model-updates records it reflects (its rows, dense parameters, shared
     * rows and gates), as if this replica had read the topic up to the snapshot's offsets.
     */
    public void load(ModelSnapshot s) {
        int d = settings.dim();
        for (ModelSnapshot.Row r : s.rows()) {
            apply(ModelUpdateCodec.rowKey(modelId, r.key()), ModelUpdateCodec.row(r.linear(), r.values(), 0, d, r.mask(), r.bits()));
        }
        if (s.denseVersion() >= 0) {
            apply(ModelUpdateCodec.denseKey(modelId, 0), ModelUpdateCodec.dense(s.denseVersion(), s.dense(), 0, s.dense().length));
        }
        ModelSnapshot.Shared sh = s.shared();
        if (sh != null) {
            apply(ModelUpdateCodec.gatesKey(modelId), ModelUpdateCodec.gates(sh.version(), sh.tableRows(), d, sh.chunkWidths(),
                    sh.gates()));
            apply(ModelUpdateCodec.sharedKey(modelId, 0), ModelUpdateCodec.sharedChunk(sh.version(), sh.tableRows(), d, 0,
                    sh.tableRows(), sh.values(), 0));
        }
    }

    /** The model replica this serves (a clicks partition). */
    public int modelId() {
        return modelId;
    }

    /** A copy of the shared rows as received (H x (D values, linear weight)). */
    synchronized float[] sharedValues() {
        return shared.values();
    }

    /** A copy of the shared rows' gates, null before the first. */
    synchronized float[] sharedGates() {
        return shared.gates();
    }
}
