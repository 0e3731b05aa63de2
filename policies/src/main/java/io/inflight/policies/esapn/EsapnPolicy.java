package io.inflight.policies.esapn;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.LongIntHashMap;
import io.inflight.policies.util.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * ESAPN-style dimension growth (SIGIR 2020, public code zgahhblhc/ESAPN) on chunked rows: one
 * {@link PolicyNet} per field decides, each time the trainer reports a feature, whether its row
 * keeps its size or grows by one chunk. Growth allocates the lowest chunk not yet stored (ESAPN's
 * next candidate size), initialised zero or random; rows only grow.
 *
 * <p><b>Per observation</b> ({@link #observe}): if the feature has a pending action from its
 * previous observation, that action's reward is {@code 1 - loss - baseline} with baseline
 * {@code 1 - previous loss} ({@link Baseline#PREVIOUS}) or {@code 1 - mean of the last 5 losses}
 * ({@link Baseline#MEAN5}), and its REINFORCE gradient is accumulated in the field's net. Then an
 * action is drawn from the policy (counter-based random numbers; or the argmax when exploration is
 * off), applied if it is "grow" and the growth allowance covers the added bytes, and remembered as
 * pending. {@link #endBatch} takes one Adam step per field net (lr default 1e-4).
 *
 * <p><b>Deviations from ESAPN</b>, stated: the action applied is the one sampled (ESAPN samples on
 * the previous batch for the update and takes the argmax for the current one; one draw per
 * observation keeps the trainer to a single forward per feature); the old embedding is not mapped
 * into the larger one by a learned transfer matrix: old chunks are kept and the new chunk
 * initialised; only active chunks are stored, so the saving is real. See {@link PolicyNet} for the
 * network size.
 *
 * <p><b>State</b> per feature (last losses and the pending action) lives in a direct-mapped table
 * of fixed size: a feature whose slot is taken by another loses its history and pending action
 * (no reward is attributed to the wrong feature: slots are tagged with the key). Memory is fixed at
 * construction. Not thread-safe.
 */
public final class EsapnPolicy {

    /** The REINFORCE baseline. */
    public enum Baseline { PREVIOUS, MEAN5 }

    private static final int HISTORY = 5;
    /** {@link #pending} of a grow decision the allowance refused while {@link #setHoldBlocked} is on. */
    private static final byte BLOCKED = 2;

    private final int k;
    private final int buckets;
    private final int hidden;
    private final float learningRate;
    private final Baseline baseline;
    private final ChunkInit init;
    private boolean fromShared;
    private final Precision growPrecision;
    private final long seed;
    private final PolicyNet[] nets;

    private final int slotMask;
    private final long[] tags;
    private final boolean[] used;
    private final float[] history;
    private final byte[] historyCount;
    private final byte[] historyPos;
    private final byte[] pending; // -1 none, 0 keep, 1 grow
    private final byte[] pendingBucket;
    private final byte[] pendingSize;

    private long allowance = Long.MAX_VALUE;
    private int excludedMask;
    private boolean explore = true;
    private long counter;
    private long grown;
    private long blocked;
    private final Precision[] precs;
    private boolean holdBlocked;
    /** Chunks granted per row by the last pass ({@link #grant}), the granted keys, and their bytes not yet taken up. */
    private final LongIntHashMap granted = new LongIntHashMap(16);
    private final GrowableLongs grantedKeys = new GrowableLongs(16);
    private long reserved;

    /**
     * @param fields        number of fields (one net each)
     * @param chunks        K, chunks per row (sizes 0..K)
     * @param buckets       log2-frequency buckets (bucket = min(buckets - 1, bit length of frequency))
     * @param hidden        hidden tanh units
     * @param learningRate  Adam learning rate (ESAPN: 1e-4)
     * @param stateSlots    per-feature state slots, a power of two
     * @param growPrecision the precision a grown chunk is stored at (for the byte allowance)
     */
    public EsapnPolicy(int fields, int chunks, int buckets, int hidden, float learningRate, Baseline baseline,
                       ChunkInit init, int stateSlots, Precision growPrecision, long seed) {
        if (fields < 1) {
            throw new IllegalArgumentException("fields must be >= 1, got " + fields);
        }
        if (stateSlots < 1 || Integer.bitCount(stateSlots) != 1) {
            throw new IllegalArgumentException("state slots must be a power of two, got " + stateSlots);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
        }
        if (buckets < 1 || buckets > 64) {
            throw new IllegalArgumentException("frequency buckets must be in [1, 64], got " + buckets);
        }
        this.k = chunks;
        this.buckets = buckets;
        this.hidden = hidden;
        this.learningRate = learningRate;
        this.baseline = baseline;
        this.init = init;
        this.growPrecision = growPrecision;
        this.seed = seed;
        this.nets = new PolicyNet[fields];
        this.slotMask = stateSlots - 1;
        this.tags = new long[stateSlots];
        this.used = new boolean[stateSlots];
        this.history = new float[stateSlots * HISTORY];
        this.historyCount = new byte[stateSlots];
        this.historyPos = new byte[stateSlots];
        this.pending = new byte[stateSlots];
        this.pendingBucket = new byte[stateSlots];
        this.pendingSize = new byte[stateSlots];
        this.precs = new Precision[chunks];
        Arrays.fill(precs, growPrecision);
    }

    /** Bytes per per-feature state slot: tag, used flag, loss history and five bytes of counters. */
    public static final int BYTES_PER_SLOT = 8 + 1 + 4 * HISTORY + 5;

    /**
     * Bytes of the per-feature state (the slots), fixed at construction. The field nets (about
     * 12 KiB each at the defaults) are a fixed cost like the dense layers and are not counted.
     */
    public long memoryBytes() {
        return (long) tags.length * BYTES_PER_SLOT;
    }

    /**
     * Reports one feature seen in the current batch and applies the policy's decision.
     *
     * @param table     the table to grow the row in (the row must exist)
     * @param key       the feature's row key
     * @param field     its field index in [0, fields)
     * @param frequency its running occurrence count (the trainer's or the admission sketch's)
     * @param mask      the row's current chunk mask
     * @param loss      the loss of the example(s) with this feature in this batch (e.g. logloss)
     * @return true when the row grew: by one chunk on the net's decision, or by the chunks a pass
     *         granted it ({@link #grant}), lowest first, within the allowance
     */
    public boolean observe(EmbeddingTable table, long key, int field, long frequency, int mask, float loss) {
        if (field < 0 || field >= nets.length) {
            throw new IllegalArgumentException("field must be in [0, " + nets.length + "), got " + field);
        }
        PolicyNet net = net(field);
        int s = slot(key);
        if (used[s] && (pending[s] == 0 || pending[s] == 1)) {
            float base = baselineLoss(s);
            float reward = 1 - loss - (1 - base);
            net.accumulate(pendingBucket[s], pendingSize[s], pending[s] == 1, reward);
        }
        pushLoss(s, loss);
        int g = granted.get(key);
        if (g > 0) {
            granted.remove(key);
            pending[s] = -1; // the pass's decision, not the net's: nothing to learn
            boolean any = false;
            for (int n = 0; n < g; n++) {
                int nx = nextChunk(mask);
                if (nx < 0) {
                    break;
                }
                long delta = chunkBytes(table, mask, nx);
                reserved = Math.max(0, reserved - delta);
                if (delta > allowance) {
                    break;
                }
                allocate(table, key, nx, field, delta);
                mask |= 1 << nx;
                any = true;
            }
            return any;
        }
        if (pending[s] == BLOCKED) {
            return false; // a refused request waits for the pass that may grant it
        }
        int size = Integer.bitCount(mask);
        int next = nextChunk(mask);
        int bucket = bucket(frequency);
        boolean grow = false;
        if (next >= 0) {
            float p = net.growProbability(bucket, size);
            grow = explore ? SplitMix64.unit(SplitMix64.at(seed, key, counter++)) < p : p > 0.5f;
        }
        pending[s] = (byte) (grow ? 1 : 0);
        pendingBucket[s] = (byte) bucket;
        pendingSize[s] = (byte) size;
        if (next < 0) {
            pending[s] = -1; // grow is masked at the largest size: nothing to learn from
            return false;
        }
        if (grow) {
            long delta = chunkBytes(table, mask, next);
            if (delta > allowance - reserved) {
                blocked++;
                if (holdBlocked) {
                    pending[s] = BLOCKED; // nothing was applied, so nothing to learn; the pass decides
                }
                return false;
            }
            allocate(table, key, next, field, delta);
        }
        return grow;
    }

    /** Bytes row {@code mask} adds with chunk {@code c} at the grown precision. */
    private long chunkBytes(EmbeddingTable table, int mask, int c) {
        return table.rowBytes(mask | (1 << c), precs) - table.rowBytes(mask, precs);
    }

    /** Grows row {@code key} by chunk {@code c}, charging the allowance what the store really added (it chooses the precision). */
    private void allocate(EmbeddingTable table, long key, int c, int field, long delta) {
        long before = table.storedBytes();
        table.allocateChunkFromShared(key, c, fromShared ? field : -1, init);
        if (allowance != Long.MAX_VALUE) {
            allowance = Math.max(0, allowance - Math.max(delta, table.storedBytes() - before));
        }
        grown++;
    }

    /**
     * Whether a grow decision the allowance refused is held until the next pass instead of being
     * learned from as if it had been applied: the feature draws no new decision meanwhile, and the
     * net learns nothing from it (on when a pass pays for growth, {@code GrowthExchange}; off for
     * ESAPN alone, as measured).
     */
    public void setHoldBlocked(boolean on) {
        this.holdBlocked = on;
    }

    /** Forgets the held refused decisions (a pass has priced every row's growth since). */
    public void clearBlocked() {
        for (int s = 0; s < tags.length; s++) {
            if (pending[s] == BLOCKED) {
                pending[s] = -1;
            }
        }
    }

    /**
     * A pass granted row {@code key} one more chunk of {@code bytes}: the row grows (from its gated
     * shared row, with the field the trainer reports) when its feature is next observed, within the
     * allowance; until then the bytes are {@link #reservedBytes reserved}.
     */
    public void grant(long key, long bytes) {
        int g = granted.get(key);
        if (g < 0) {
            grantedKeys.add(key);
        }
        granted.put(key, g < 0 ? 1 : g + 1);
        reserved += bytes;
    }

    /** Lapses the grants not taken up since the last pass. */
    public void clearGrants() {
        granted.clear();
        grantedKeys.clear();
        reserved = 0;
    }

    /** Bytes granted by the last pass and not yet taken up: new rows must leave them free. */
    public long reservedBytes() {
        return reserved;
    }

    /** The precision grown chunks are stored at. */
    public Precision growPrecision() {
        return growPrecision;
    }

    /** Takes one Adam step per field net that has samples; call once per training batch. */
    public void endBatch() {
        for (PolicyNet net : nets) {
            if (net != null) {
                net.step(learningRate);
            }
        }
    }

    /**
     * Whether a grown chunk starts from what the feature read there before (its gated shared row,
     * {@link EmbeddingTable#allocateChunkFromShared}) instead of the configured initialisation.
     */
    public void setInitFromShared(boolean on) {
        this.fromShared = on;
    }

    /** Growth may add at most this many bytes until the next call ({@link Long#MAX_VALUE} = unlimited). */
    public void setGrowthAllowance(long bytes) {
        allowance = Math.max(0, bytes);
    }

    public long growthAllowance() {
        return allowance;
    }

    /** Chunks that must never be grown into (columns dropped by FIITED-2D). */
    public void setExcludedChunks(int mask) {
        excludedMask = mask;
    }

    /** Sample actions from the policy (true, training) or take the argmax (false). */
    public void setExplore(boolean explore) {
        this.explore = explore;
    }

    /** The current probability of growing a feature of {@code frequency} at {@code size} chunks. */
    public float growProbability(int field, long frequency, int size) {
        return net(field).growProbability(bucket(frequency), size);
    }

    public long rowsGrown() {
        return grown;
    }

    public long growthBlocked() {
        return blocked;
    }

    /**
     * Writes everything that changes while training: the field nets, the per-feature slots (only
     * the used ones), the growth allowance, excluded chunks, the draw counter, the counts and the
     * open grants. A policy built with the same settings continues bit-identically after
     * {@link #readState}.
     */
    public void writeState(DataOutput out) throws IOException {
        out.writeInt(nets.length);
        for (PolicyNet net : nets) {
            out.writeBoolean(net != null);
            if (net != null) {
                net.writeState(out);
            }
        }
        out.writeInt(tags.length);
        int usedSlots = 0;
        for (boolean u : used) {
            usedSlots += u ? 1 : 0;
        }
        out.writeInt(usedSlots);
        for (int s = 0; s < tags.length; s++) {
            if (!used[s]) {
                continue;
            }
            out.writeInt(s);
            out.writeLong(tags[s]);
            for (int i = 0; i < HISTORY; i++) {
                out.writeFloat(history[s * HISTORY + i]);
            }
            out.writeByte(historyCount[s]);
            out.writeByte(historyPos[s]);
            out.writeByte(pending[s]);
            out.writeByte(pendingBucket[s]);
            out.writeByte(pendingSize[s]);
        }
        out.writeLong(allowance);
        out.writeInt(excludedMask);
        out.writeBoolean(explore);
        out.writeLong(counter);
        out.writeLong(grown);
        out.writeLong(blocked);
        out.writeLong(reserved);
        int open = 0;
        for (int i = 0; i < grantedKeys.size(); i++) {
            open += granted.get(grantedKeys.get(i)) > 0 ? 1 : 0;
        }
        out.writeInt(open);
        for (int i = 0; i < grantedKeys.size(); i++) {
            long key = grantedKeys.get(i);
            if (granted.get(key) > 0) {
                out.writeLong(key);
                out.writeInt(granted.get(key));
            }
        }
    }

    /** Restores what {@link #writeState} wrote, into a policy built with the same settings. */
    public void readState(DataInput in) throws IOException {
        int fields = in.readInt();
        if (fields != nets.length) {
            throw new IllegalArgumentException("growth policy state has " + fields + " field nets, this trainer has "
                    + nets.length + " fields");
        }
        for (int f = 0; f < fields; f++) {
            nets[f] = null;
            if (in.readBoolean()) {
                net(f).readState(in);
            }
        }
        int slots = in.readInt();
        if (slots != tags.length) {
            throw new IllegalArgumentException("growth policy state has " + slots + " slots, this policy has "
                    + tags.length + "; inflight.policy.esapn.state.slots changed since the checkpoint");
        }
        Arrays.fill(used, false);
        int usedSlots = in.readInt();
        for (int n = 0; n < usedSlots; n++) {
            int s = in.readInt();
            used[s] = true;
            tags[s] = in.readLong();
            for (int i = 0; i < HISTORY; i++) {
                history[s * HISTORY + i] = in.readFloat();
            }
            historyCount[s] = in.readByte();
            historyPos[s] = in.readByte();
            pending[s] = in.readByte();
            pendingBucket[s] = in.readByte();
            pendingSize[s] = in.readByte();
        }
        allowance = in.readLong();
        excludedMask = in.readInt();
        explore = in.readBoolean();
        counter = in.readLong();
        grown = in.readLong();
        blocked = in.readLong();
        clearGrants();
        reserved = in.readLong();
        int open = in.readInt();
        for (int i = 0; i < open; i++) {
            long key = in.readLong();
            grantedKeys.add(key);
            granted.put(key, in.readInt());
        }
    }

    /** The log2 frequency bucket: 0 for 0, else min(buckets - 1, bit length of frequency). */
    public int bucket(long frequency) {
        if (frequency <= 0) {
            return 0;
        }
        return Math.min(buckets - 1, 64 - Long.numberOfLeadingZeros(frequency));
    }

    private int nextChunk(int mask) {
        int free = ~mask & ~excludedMask & ((1 << k) - 1);
        return free == 0 ? -1 : Integer.numberOfTrailingZeros(free);
    }

    private PolicyNet net(int field) {
        PolicyNet net = nets[field];
        if (net == null) {
            net = new PolicyNet(buckets, k + 1, hidden, -2f, SplitMix64.at(seed, field));
            nets[field] = net;
        }
        return net;
    }

    private int slot(long key) {
        int s = (int) SplitMix64.mix(key ^ seed) & slotMask;
        if (!used[s] || tags[s] != key) {
            used[s] = true;
            tags[s] = key;
            historyCount[s] = 0;
            historyPos[s] = 0;
            pending[s] = -1;
        }
        return s;
    }

    private void pushLoss(int s, float loss) {
        history[s * HISTORY + historyPos[s]] = loss;
        historyPos[s] = (byte) ((historyPos[s] + 1) % HISTORY);
        if (historyCount[s] < HISTORY) {
            historyCount[s]++;
        }
    }

    /** The loss the baseline is built from: the previous loss, or the mean of the last (up to) 5. */
    private float baselineLoss(int s) {
        int n = historyCount[s];
        if (baseline == Baseline.PREVIOUS || n == 1) {
            int prev = (historyPos[s] + HISTORY - 1) % HISTORY;
            return history[s * HISTORY + prev];
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += history[s * HISTORY + i];
        }
        return sum / n;
    }
}
