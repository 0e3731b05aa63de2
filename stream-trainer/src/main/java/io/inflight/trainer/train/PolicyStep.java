package io.inflight.trainer.train;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.SharedRows;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.train.BatchTrainer.Prepared;
import java.util.Arrays;

/**
 * The part of a {@link BatchTrainer} step that follows the policies' trainer contract
 * ({@link PolicyRunner}): after the gather, frequency admission and the budget's gate on new rows,
 * the shared rows' gates on what features without a row (and pruned chunks) read, and the traffic
 * count that sizes the shared rows; after the backward pass, FIITED-2D's dimension importance, the
 * gates' gradients, the scatter of the rows that have or get one (the others' to their shared rows)
 * and the ESAPN observations. Not thread-safe: the trainer's thread.
 */
final class PolicyStep {

    /**
     * Refused a row: not seen often enough yet; reads its gated shared row (zeros without shared
     * rows) and trains nothing.
     */
    private static final int REFUSED = -2;
    /** Refused a row for want of room, but recurring: reads and trains its shared row. */
    private static final int SHARED = -3;

    private final BatchSettings settings;
    private final EmbeddingRows rows;
    private final PolicyRunner policies;
    private final int stride;
    /** One shared row (values, linear weight), re-read for its gate's gradient. */
    private final float[] sharedBuf;
    /** Per distinct key of the step: its chunk mask, -1 without a row, REFUSED or SHARED. */
    private int[] rowMask = new int[0];
    private long[] rowAccesses = new long[0];
    private int[] rowSlot = new int[0];
    private double[] lossSum = new double[0];
    private int[] lossCount = new int[0];
    private long[] admittedKeys = new long[0];
    private int[] admittedAccesses = new int[0];
    /** The step's gathered rows and, after the backward pass, their gradients and the batch's logits. */
    private float[] rowBuf;
    private float[] gradBuf;
    private float[] logits;
    private int refused;
    /** Whether {@link #rowSlot} holds this step's slots. */
    private boolean slotsFilled;
    private boolean prunedGated;
    private long budgetRefused;
    private int newRowBytesMask = -1;
    private long newRowBytesValue;

    PolicyStep(BatchSettings settings, EmbeddingRows rows, PolicyRunner policies) {
        this.settings = settings;
        this.rows = rows;
        this.policies = policies;
        this.stride = rows.stride();
        this.sharedBuf = new float[stride];
    }

    /** Sizes the per-key arrays for {@code distinct} keys and sets the chunks new rows start with (before the gather). */
    void beforeGather(int distinct) {
        if (rowMask.length < distinct) {
            int n = Math.max(distinct, rowMask.length * 2);
            rowMask = new int[n];
            rowAccesses = new long[n];
            rowSlot = new int[n];
            lossSum = new double[n];
            lossCount = new int[n];
            admittedKeys = new long[n];
            admittedAccesses = new int[n];
        }
        rows.newRowMask(policies.initialMask());
    }

    /** Where the gather writes each key's chunk mask. */
    int[] rowMask() {
        return rowMask;
    }

    /** Where the gather writes each key's access count. */
    long[] rowAccesses() {
        return rowAccesses;
    }

    /** After the gather into {@code gathered}: admission, the gates on shared reads, the traffic count. */
    void afterGather(Prepared p, float[] gathered) {
        this.rowBuf = gathered;
        slotsFilled = false;
        refused = admit(p, policies);
        prunedGated = false;
        if (rows.shared() != null) {
            countTraffic(p, policies.initialMask());
            prunedGated = rows.shared().fields() > 0 && gatePrunedReads(p);
        }
    }

    /** After the backward pass with {@code grads} per distinct key: importance, gates, scatter, growth. */
    void afterBackward(Prepared p, float[] grads, float[] batchLogits, long step) {
        this.gradBuf = grads;
        this.logits = batchLogits;
        int d = settings.dim();
        if (policies.needsDimensionImportance()) {
            for (int r = 0; r < p.distinct; r++) {
                if (rowMask[r] >= -1) {
                    policies.dimensionImportance().add(gradBuf, r * stride, d, 0);
                }
            }
        }
        if (prunedGated) {
            gatePrunedGradients(p);
        }
        if (refused == 0) {
            rows.scatter(p.keys, p.accesses, p.distinct, gradBuf, step, newRowsFromShared() ? rowBuf : null);
        } else {
            scatterAdmitted(p, step);
        }
        if (policies.growthEnabled()) {
            observeGrowth(p, policies);
        }
    }

    /**
     * Frequency admission: every key without a row counts its occurrences in the batch with the
     * policy's sketch until it is admitted; a refused key gets no row this step and reads its gated
     * shared row without training it (zeros without shared rows).
     *
     * @return the number of refused keys
     */
    private int admit(Prepared p, PolicyRunner policy) {
        int refused = 0;
        // the budget holds at every step, not only after a pass: a new row that would cross it waits
        // (reading zeros, or its shared row) until a pass makes room
        long budget = policy.tableBudgetBytes();
        long room = budget > 0 ? budget - rows.storedBytes() - policy.reservedGrowthBytes() : Long.MAX_VALUE;
        long newRow = budget > 0 ? newRowBytes(policy.initialMask()) : 0;
        boolean hashOnly = policy.settings().mode() == PolicyMode.HASH;
        for (int r = 0; r < p.distinct; r++) {
            if (rowMask[r] != -1) {
                continue;
            }
            boolean ok = false;
            for (int a = 0; a < p.accesses[r] && !ok; a++) {
                ok = policy.admit(p.keys[r]);
            }
            boolean recurring = ok || hashOnly;
            if (ok && room < newRow) {
                ok = false;
                budgetRefused++;
            } else if (ok) {
                room -= newRow;
                if (newRowsFromShared()) {
                    startFromShared(p, r, policy.initialMask());
                } else if (rows.shared() != null) {
                    rows.readNew(p.keys[r], rowBuf, r * stride); // a new row starts from its own initialisation
                }
            }
            if (!ok) {
                if (recurring && rows.shared() != null) {
                    rowMask[r] = SHARED; // reads (and trains) its gated shared row until a pass makes room
                    gateRow(p, r);
                } else if (rows.shared() != null) {
                    // not seen often enough yet: reads its gated shared row (what its field's features
                    // that share the row learned) but trains nothing, so one-off features add no noise
                    rowMask[r] = REFUSED;
                    gateRow(p, r);
                } else {
                    rowMask[r] = REFUSED; // not seen often enough yet, no shared rows: reads zeros
                    Arrays.fill(rowBuf, r * stride, (r + 1) * stride, 0f);
                }
                refused++;
            }
        }
        return refused;
    }

    /** Scales what key {@code r} read from its shared row by its field's gate. */
    private void gateRow(Prepared p, int r) {
        if (rows.shared().fields() > 0) {
            fillRowSlots(p);
            float g = rows.shared().gate(rowSlot[r]);
            for (int j = r * stride; j < (r + 1) * stride; j++) {
                rowBuf[j] *= g;
            }
        }
    }

    /**
     * A new row starts from the gated shared row the feature read until now (CAFE), in the chunks it
     * starts with; the others read zeros in its first step, as with the store's own initialisation.
     */
    private void startFromShared(Prepared p, int r, int mask) {
        gateRow(p, r);
        ChunkLayout layout = rows.config().layout();
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) == 0) {
                int o = r * stride + layout.offset(c);
                Arrays.fill(rowBuf, o, o + layout.width(c), 0f);
            }
        }
    }

    /** Bytes of a new row with chunks {@code mask} at the store's default precision. */
    private long newRowBytes(int mask) {
        if (mask != newRowBytesMask) {
            Precision[] precisions = new Precision[rows.chunkWidths().length];
            Arrays.fill(precisions, rows.config().defaultPrecision());
            newRowBytesValue = rows.rowBytes(mask, precisions);
            newRowBytesMask = mask;
        }
        return newRowBytesValue;
    }

    /** Whether rows the scatter creates start from what the step read for them (their gated shared rows). */
    private boolean newRowsFromShared() {
        return rows.shared() != null && policies.settings().sharedInit();
    }

    /** New rows refused because they would have crossed the budget before the next pass, since creation. */
    long budgetRefused() {
        return budgetRefused;
    }

    /** Scatters the gradients of the keys that have or get a row (in the same ascending order). */
    private void scatterAdmitted(Prepared p, long step) {
        float[] initial = newRowsFromShared() ? rowBuf : null;
        int n = 0;
        for (int r = 0; r < p.distinct; r++) {
            if (rowMask[r] == SHARED && rows.shared().fields() > 0) {
                SharedRows shared = rows.shared();
                int field = rowSlot[r];
                float g = shared.gate(field);
                int d = stride - 1;
                float dot = gatedSpan(p.keys[r], r, 0, d, g, 0f);
                int lin = r * stride + d; // the linear weight is gated too
                dot += gradBuf[lin] * shared.linear(p.keys[r]);
                gradBuf[lin] *= g;
                shared.accumulateGate(field, dot);
            }
            if (rowMask[r] == SHARED) {
                rows.scatterShared(p.keys[r], gradBuf, r * stride); // read before a later row moves down onto it
                continue;
            }
            if (rowMask[r] == REFUSED) {
                continue;
            }
            admittedKeys[n] = p.keys[r];
            admittedAccesses[n] = p.accesses[r];
            System.arraycopy(gradBuf, r * stride, gradBuf, n * stride, stride); // n <= r: moves down only
            if (initial != null) {
                System.arraycopy(rowBuf, r * stride, rowBuf, n * stride, stride);
            }
            n++;
        }
        rows.scatter(admittedKeys, admittedAccesses, n, gradBuf, step, initial);
    }

    /**
     * ESAPN: reports every feature of the batch that has a row, in ascending key order, with the
     * mean log-loss (before learning) of the batch's events that carry it, its field, its access
     * count and its chunk mask; then ends the policy's batch.
     */
    private void observeGrowth(Prepared p, PolicyRunner policy) {
        int b = p.events.size();
        int f = settings.slots();
        int distinct = p.distinct;
        Arrays.fill(lossSum, 0, distinct, 0.0);
        Arrays.fill(lossCount, 0, distinct, 0);
        for (int e = 0; e < b; e++) {
            double z = logits[e];
            double loss = (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - p.labels[e] * z;
            for (int s = 0; s < f; s++) {
                int cell = e * f + s;
                for (int o = p.slotStart[cell]; o < p.slotStart[cell + 1]; o++) {
                    int r = p.occurrenceRow[o];
                    lossSum[r] += loss;
                    lossCount[r]++;
                    rowSlot[r] = s;
                }
            }
        }
        long budget = policy.tableBudgetBytes();
        if (budget > 0) { // growth may use only the room the budget has now (new rows took their share)
            long room = Math.max(0, budget - rows.storedBytes());
            if (policy.growthPolicy().growthAllowance() > room) {
                policy.growthPolicy().setGrowthAllowance(room);
            }
        }
        int newMask = policy.initialMask();
        for (int r = 0; r < distinct; r++) {
            if (rowMask[r] < -1) {
                continue;
            }
            int mask = rowMask[r] == -1 ? newMask : rowMask[r];
            policy.observeFeature(rows, p.keys[r], rowSlot[r], rowAccesses[r] + p.accesses[r], mask,
                    (float) (lossSum[r] / lossCount[r]));
        }
        policy.endBatch();
    }

    /**
     * Tells the shared rows what they served this step, in accesses x dimensions: all of a feature
     * that reads and trains its shared row, the pruned chunks of a stored row; features not admitted
     * yet (they read their shared row but do not train it) count for neither.
     */
    private void countTraffic(Prepared p, int newMask) {
        int[] widths = rows.chunkWidths();
        int d = settings.dim();
        long shared = 0;
        long own = 0;
        for (int r = 0; r < p.distinct; r++) {
            int m = rowMask[r];
            if (m == REFUSED) {
                continue;
            }
            long a = p.accesses[r];
            if (m == SHARED) {
                shared += a * d;
                continue;
            }
            int mask = m == -1 ? newMask : m;
            if (policies.paysGrowth()) {
                own += a * d; // chunks not grown yet are the growth exchange's choice, not a want of room
                continue;
            }
            int ownDims = 0;
            for (int c = 0; c < widths.length; c++) {
                if ((mask & (1 << c)) != 0) {
                    ownDims += widths[c];
                }
            }
            own += a * ownDims;
            shared += a * (d - ownDims);
        }
        rows.shared().countAccesses(shared, own);
    }

    /**
     * A stored row's pruned chunks read its shared row (the store's gather): scales them by the
     * field's gate, like a whole shared row.
     *
     * @return whether any row of the step has a pruned chunk
     */
    private boolean gatePrunedReads(Prepared p) {
        int full = (1 << rows.chunkWidths().length) - 1;
        ChunkLayout layout = rows.config().layout();
        boolean any = false;
        for (int r = 0; r < p.distinct; r++) {
            int m = rowMask[r];
            if (m < 0 || m == full) {
                continue;
            }
            if (!any) {
                fillRowSlots(p);
                any = true;
            }
            float g = rows.shared().gate(rowSlot[r]);
            for (int c = 0; c < layout.chunks(); c++) {
                if ((m & (1 << c)) == 0) {
                    int o = r * stride + layout.offset(c);
                    for (int j = 0; j < layout.width(c); j++) {
                        rowBuf[o + j] *= g;
                    }
                }
            }
        }
        return any;
    }

    /** The gate's gradient from the pruned chunks of stored rows, and theirs scaled by it (before the scatter). */
    private void gatePrunedGradients(Prepared p) {
        int full = (1 << rows.chunkWidths().length) - 1;
        ChunkLayout layout = rows.config().layout();
        SharedRows shared = rows.shared();
        for (int r = 0; r < p.distinct; r++) {
            int m = rowMask[r];
            if (m < 0 || m == full) {
                continue;
            }
            float g = shared.gate(rowSlot[r]);
            float dot = 0f;
            for (int c = 0; c < layout.chunks(); c++) {
                if ((m & (1 << c)) == 0) {
                    dot = gatedSpan(p.keys[r], r, layout.offset(c), layout.width(c), g, dot);
                }
            }
            shared.accumulateGate(rowSlot[r], dot);
        }
    }

    /**
     * For a read of {@code gate · shared}: adds {@code <grad, shared>} over dimensions
     * {@code [off, off + n)} of distinct key r to {@code dot} (d loss / d gate) and scales that
     * gradient by the gate (d loss / d shared); returns the sum.
     */
    private float gatedSpan(long key, int r, int off, int n, float gate, float dot) {
        rows.shared().read(key, off, n, sharedBuf, off);
        int o = r * stride + off;
        for (int j = 0; j < n; j++) {
            dot += gradBuf[o + j] * sharedBuf[off + j];
            gradBuf[o + j] *= gate;
        }
        return dot;
    }

    /** {@code rowSlot[r]}: the slot (field) of distinct key r (its first occurrence's). */
    private void fillRowSlots(Prepared p) {
        if (slotsFilled) {
            return; // once a step
        }
        slotsFilled = true;
        int f = settings.slots();
        for (int cell = p.events.size() * f - 1; cell >= 0; cell--) {
            for (int o = p.slotStart[cell]; o < p.slotStart[cell + 1]; o++) {
                rowSlot[p.occurrenceRow[o]] = cell % f;
            }
        }
    }
}
