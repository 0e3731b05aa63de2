package io.inflight.trainer.shard;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingRows;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

/**
 * The policies of one row shard (issue 16): passes of a {@link PolicyRunner} over the shard's own
 * rows under its share of the budget ({@link #perShard}: the budget over S, so the shards' budgets
 * add up to it), and between passes the budget held at every request by evicting the rows the last
 * pass found least useful ({@link #afterPush}).
 *
 * <p><b>Shard and cache agree.</b> The trainer's window cache ({@link BatchRows}) holds the rows of
 * the last W batches and applies their updates itself. A pass changes (evicts, prunes, re-quantizes)
 * only rows <em>at rest</em>: rows that no request of the last W batches pulled ({@link #pulled}, a
 * ring of the recent requests' keys). Such a row's last push has reached the shard (batch b's push
 * travels with request b + W), the trainer's cache has dropped it before it reads the row again
 * (with policies at the shards it keeps the window's rows only), and no reply in flight holds it.
 * To hold the budget after every request, a shard may also evict a row in flight: it names it in
 * that request's reply ({@link #endRequest}), the trainer drops its copy before it trains that
 * batch, and the shard drops the row's gradients of the batches that read it before the eviction
 * ({@link #evictedSince}): both forget the row and its updates in flight, and a later read starts
 * it afresh on both sides. What a shard does depends only on the requests it read, so a replay
 * from the same requests does the same.
 *
 * <p>Modes: those whose decisions are passes over stored rows ({@link #SUPPORTED}); admission,
 * growth and shared hashed rows act in the trainer's step and need the rows there. AdaEmbed's rows
 * are admitted at first sight (the trainer creates every row it trains).
 *
 * <p>State for exactly-once ({@link #exportState}, {@link RequestRing#exportSlot}): the runner's, the victims
 * list and each ring slot, to be committed with the rows. One thread (the shard task's).
 */
public final class ShardPolicies {

    /** The modes a row shard runs. */
    public static final Set<PolicyMode> SUPPORTED = EnumSet.of(PolicyMode.NONE, PolicyMode.ADAEMBED,
            PolicyMode.FIITED_MANUAL, PolicyMode.FIITED_ADAPTIVE, PolicyMode.PRECISION);
    /** The leading byte of {@link #exportState()}'s bytes. */
    static final byte STATE_FORMAT = 1;
    private static final long[] NONE = RequestRing.NONE;

    private final EmbeddingRows rows;
    private final PolicyRunner runner;
    private final RequestRing ring;
    private final Guarded guarded = new Guarded();
    /** The keys evicted while the current request is handled. */
    private long[] evicting = new long[64];
    private int evictingCount;
    /** The rows the last pass found least useful, least first, and the next to take. */
    private long[] victims = new long[0];
    private int nextVictim;
    private boolean changed;
    private long passes;
    private long victimEvictions;
    private long passEvictions;
    private long overBudget;
    private long peakBytes;
    private PassReport lastPass;
    /** The runner's exported state as of the last pass (it changes only in passes), or null until asked. */
    private byte[] runnerState;
    /** Told every key the policies change (tests: what a shard did, to replay it elsewhere). */
    private LongConsumer changes = key -> { };

    /**
     * @param rows   the shard's rows
     * @param shard  the shard's settings ({@link #perShard})
     * @param window W, the trainer's batches in flight
     * @throws IllegalArgumentException naming the mode when a shard cannot run it
     */
    public ShardPolicies(EmbeddingRows rows, PolicySettings shard, int window) {
        if (!SUPPORTED.contains(shard.mode())) {
            throw new IllegalArgumentException(unsupported(shard.mode()));
        }
        this.ring = new RequestRing(window);
        this.rows = rows;
        this.runner = new PolicyRunner(shard, rows.chunkWidths(), 1); // no growth: no nets per field
    }

    /** Why a row shard cannot run {@code mode}, naming the modes it can. */
    public static String unsupported(PolicyMode mode) {
        return "row shards do not run policy mode " + mode.configName() + " (admission, growth and shared rows act in the "
                + "trainer's step); they run " + SUPPORTED.stream().map(PolicyMode::configName).collect(Collectors.joining(", "));
    }

    /**
     * The settings of one of {@code shards} shards from the application's: the budget and AdaEmbed's
     * row capacity divided among them (rounded down, so the shards' add up to at most the total), no
     * shared hashed rows, admission at first sight.
     */
    public static PolicySettings perShard(PolicySettings total, int shards) {
        PolicySettings s = total.with(PolicySettings.BUDGET_BYTES, Long.toString(total.budgetBytes() / shards))
                .with(PolicySettings.SHARED_FRACTION, "0")
                .with(PolicySettings.ADMISSION_COUNT, "1");
        if (total.rowCapacity() > 0) {
            s = s.with(PolicySettings.ADAEMBED_CAPACITY_ROWS, Long.toString(Math.max(1, total.rowCapacity() / shards)));
        }
        return s;
    }

    /** Tells {@code listener} each key whose row the policies change or evict, after the change. */
    void onChange(LongConsumer listener) {
        this.changes = listener;
    }

    /** The runner (its settings and budget). */
    public PolicyRunner runner() {
        return runner;
    }

    /** Request {@code batch} pulled {@code keys}: they are not at rest for the next W batches. */
    public void pulled(long batch, long[] keys) {
        ring.pulled(batch, keys);
        evictingCount = 0;
    }

    /** The ring of recent requests (its slots are committed with the rows). */
    public RequestRing ring() {
        return ring;
    }

    /**
     * The current request is handled: the keys it evicted, ascending, to be named in its reply (the
     * trainer forgets its copies before it trains the batch).
     */
    public long[] endRequest() {
        long[] keys = NONE;
        if (evictingCount > 0) {
            keys = Arrays.copyOf(evicting, evictingCount);
            Arrays.sort(keys);
        }
        evictingCount = 0;
        ring.evicted(keys);
        return keys;
    }

    /** The keys evicted since batch {@code pushBatch} read them ({@link RequestRing#evictedSince}), or null. */
    public long[] evictedSince(long pushBatch) {
        return ring.evictedSince(pushBatch);
    }

    /** Evicts row {@code key} if stored, noting it for the reply; whether it was. */
    private boolean evict(long key) {
        long before = rows.storedBytes();
        rows.evictRow(key);
        if (rows.storedBytes() >= before) {
            return false;
        }
        if (evictingCount == evicting.length) {
            evicting = Arrays.copyOf(evicting, evictingCount * 2);
        }
        evicting[evictingCount++] = key;
        changes.accept(key);
        return true;
    }

    /**
     * After the push of the request of batch {@code batch} was applied, {@code step} batches having
     * been trained: a pass when one is due (over rows at rest); then, over the budget, the least
     * useful rows the last pass found evicted (in flight or not) down to halfway between the pass's
     * target and the budget, and when they do not reach it the least useful rows now, down to the
     * target. The budget holds after every request.
     *
     * @return the pass's report, or null when none ran
     */
    public PassReport afterPush(long batch, long step) {
        PassReport r = runner.isPassDue(step) ? pass(step) : null;
        long budget = runner.tableBudgetBytes();
        if (budget > 0 && rows.storedBytes() > budget) {
            long target = runner.budget().targetBytes();
            evictVictims(target + (budget - target) / 2);
            if (rows.storedBytes() > budget) { // the last pass's victims ran out
                pickVictims(rows.storedBytes() - target + (budget - target));
                evictVictims(target);
            }
            changed = true;
        }
        peakBytes = Math.max(peakBytes, rows.storedBytes());
        if (budget > 0 && rows.storedBytes() > budget) {
            overBudget++;
        }
        return r;
    }

    private PassReport pass(long step) {
        ring.freeze();
        runnerState = null;
        try {
            PassReport r = runner.runPass(guarded, step);
            passes++;
            passEvictions += r.rowsEvicted();
            lastPass = r;
            long budget = runner.tableBudgetBytes();
            if (budget > 0) {
                pickVictims(2 * Math.max(1, budget - runner.budget().targetBytes()));
            }
            changed = true;
            return r;
        } finally {
            ring.thaw();
        }
    }

    /** Whether {@code key} is at rest: no request of the last W batches pulled it. */
    public boolean atRest(long key) {
        return ring.atRest(key);
    }

    /**
     * The stored rows least useful first (a row's utility: its chunks' highest), as many as hold
     * {@code want} bytes: what the requests until the next pass may evict.
     */
    private void pickVictims(long want) {
        victims = NONE;
        nextVictim = 0;
        int n = (int) Math.min(Integer.MAX_VALUE - 8, rows.rowCount());
        long[] keys = new long[n];
        long[] order = new long[n];
        int[] bytes = new int[n];
        int k = rows.chunkWidths().length;
        Precision[] precisions = new Precision[k];
        int[] count = {0};
        rows.forEachRow(row -> {
            int i = count[0];
            if (i >= keys.length) {
                return;
            }
            float u = 0f;
            for (int c = 0; c < k; c++) {
                precisions[c] = Precision.FP32;
                if ((row.mask() & (1 << c)) != 0) {
                    u = Math.max(u, row.utility(c));
                    precisions[c] = row.precision(c);
                }
            }
            keys[i] = row.key();
            bytes[i] = (int) rows.rowBytes(row.mask(), precisions);
            // utilities are >= 0: their float bits order as they do; the index breaks ties (key order)
            order[i] = ((long) Float.floatToIntBits(u) << 32) | i;
            count[0]++;
        });
        int m = count[0];
        Arrays.sort(order, 0, m);
        long sum = 0;
        int taken = 0;
        while (taken < m && sum < want) {
            sum += bytes[(int) order[taken]];
            taken++;
        }
        victims = new long[taken];
        for (int i = 0; i < taken; i++) {
            victims[i] = keys[(int) order[i]];
        }
    }

    private void evictVictims(long downTo) {
        while (nextVictim < victims.length && rows.storedBytes() > downTo) {
            if (evict(victims[nextVictim++])) {
                victimEvictions++;
            }
        }
    }

    /** Passes run since this object was made. */
    public long passes() {
        return passes;
    }

    /** Rows evicted between passes to hold the budget, since this object was made. */
    public long victimEvictions() {
        return victimEvictions;
    }

    /** Rows evicted by passes and between them, since this object was made. */
    public long rowsEvicted() {
        return passEvictions + victimEvictions;
    }

    /** Requests after which the rows were above the budget (the window's rows alone held more). */
    public long overBudget() {
        return overBudget;
    }

    /** The most bytes the rows held after a request, since this object was made. */
    public long peakBytes() {
        return peakBytes;
    }

    /** The last pass's report, or null. */
    public PassReport lastPass() {
        return lastPass;
    }

    /** Whether the state changed since the last call (then {@link #exportState} should be stored); clears it. */
    public boolean takeChanged() {
        boolean c = changed;
        changed = false;
        return c;
    }

    /** The runner's state, the victims and the next to take. */
    public byte[] exportState() {
        if (runnerState == null) {
            runnerState = runner.exportState(); // once a pass: the victims change at every request over budget
        }
        byte[] r = runnerState;
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + r.length + 4 + 4 + 8 * victims.length);
        b.put(STATE_FORMAT).putInt(r.length).put(r).putInt(nextVictim).putInt(victims.length);
        for (long v : victims) {
            b.putLong(v);
        }
        return b.array();
    }

    /** Restores {@link #exportState} bytes (null: none yet). */
    public void restoreState(byte[] bytes) {
        if (bytes == null) {
            return;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != STATE_FORMAT) {
                throw new IllegalArgumentException("row shard policy state format " + (format & 0xFF)
                        + " is not supported (this build reads " + STATE_FORMAT + ")");
            }
            byte[] r = new byte[b.getInt()];
            b.get(r);
            runner.importState(r);
            runnerState = r;
            int next = b.getInt();
            int n = b.getInt();
            if (n < 0 || next < 0 || next > n || (long) n * 8 != b.remaining()) {
                throw new IllegalArgumentException("row shard policy state lists " + n + " victims (next " + next + ") in "
                        + b.remaining() + " bytes");
            }
            long[] v = new long[n];
            b.asLongBuffer().get(v);
            victims = v;
            nextVictim = next;
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("row shard policy state of " + bytes.length + " bytes is truncated", e);
        }
    }

    /** The shard's rows as a pass sees them: rows not at rest are neither visited nor changed. */
    private final class Guarded implements EmbeddingTable {
        @Override
        public int[] chunkWidths() {
            return rows.chunkWidths();
        }

        @Override
        public long rowCount() {
            return rows.rowCount();
        }

        @Override
        public long storedBytes() {
            return rows.storedBytes();
        }

        @Override
        public long rowBytes(int mask, Precision[] precisions) {
            return rows.rowBytes(mask, precisions);
        }

        @Override
        public void forEachRow(RowVisitor visitor) {
            rows.forEachRow(row -> {
                if (atRest(row.key())) {
                    visitor.visit(row);
                }
            });
        }

        @Override
        public int sampleUtilities(int chunk, int m, long seed, float[] out) {
            return rows.sampleUtilities(chunk, m, seed, out);
        }

        @Override
        public void pruneChunk(long key, int chunk) {
            if (atRest(key)) {
                rows.pruneChunk(key, chunk);
                changes.accept(key);
            }
        }

        @Override
        public void allocateChunk(long key, int chunk, ChunkInit init) {
            if (atRest(key)) {
                rows.allocateChunk(key, chunk, init);
                changes.accept(key);
            }
        }

        @Override
        public void setPrecision(long key, int chunk, Precision precision) {
            if (atRest(key)) {
                rows.setPrecision(key, chunk, precision);
                changes.accept(key);
            }
        }

        @Override
        public void evictRow(long key) {
            if (atRest(key)) {
                evict(key);
            }
        }
    }
}
