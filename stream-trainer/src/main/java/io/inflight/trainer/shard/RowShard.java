package io.inflight.trainer.shard;

import io.inflight.store.EmbeddingRows;
import io.inflight.store.StoreException;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * One row shard, free of Kafka (issue 16): the rows of shard {@code shard} of S, in an
 * {@link EmbeddingRows}, answering {@link ShardRequest}s. {@link #handle} applies a request's push
 * (its summed gradients, scattered at its step), then gathers its pull into the reply.
 *
 * <p>Exactly once: a push is applied only when its batch is above the last batch applied for its
 * trainer ({@link #lastApplied}), so a trainer that re-sends batches after a restart does not apply
 * them twice (a skipped push is counted in {@link #duplicatePushes}; its pull is still answered).
 * That progress is exported to bytes and restored from them ({@link #exportProgress},
 * {@link #restoreProgress}) so that it commits with the rows.
 *
 * <p>One bad record never stops a shard: a push whose scatter the store refuses (a non-finite
 * gradient or update, a full store without a cold tier) is skipped and counted in
 * {@link #failedPushes}, and the pull is still answered. The store may have applied the rows before
 * the one that failed; the batch counts as applied all the same, so a re-sent copy is not applied
 * again. A {@link StoreException} with a cause (a failing cold tier) is not the record's fault and
 * is thrown on. Called from one thread (the shard task's); not thread-safe.
 */
public final class RowShard {

    /** A reply's row of a key the shard has no row for. */
    private static final byte[] NOT_STORED = new byte[0];
    /** The leading byte of {@link #exportProgress()}'s bytes. */
    static final byte PROGRESS_FORMAT = 1;

    private final EmbeddingRows rows;
    private final int shard;
    private final int shards;
    /** Per trainer, the last batch whose push was applied (or failed), in trainer order. */
    private final Map<Integer, Long> lastApplied = new TreeMap<>();
    private long appliedPushes;
    private long duplicatePushes;
    private long failedPushes;
    private long failedPasses;
    private long droppedGradients;
    private String lastFailure;
    /** The shard's policies, or null (none). */
    private ShardPolicies policies;

    /**
     * @param rows   the shard's rows (a store of its own; the shard gathers and scatters, nothing else)
     * @param shard  this shard's number, in [0, shards)
     * @param shards S, the number of shards
     * @throws IllegalArgumentException naming both when {@code shard} is not in [0, shards)
     */
    public RowShard(EmbeddingRows rows, int shard, int shards) {
        if (shards < 1 || shard < 0 || shard >= shards) {
            throw new IllegalArgumentException("row shard " + shard + " is not one of S = " + shards + " shards [0, "
                    + shards + ")");
        }
        this.rows = rows;
        this.shard = shard;
        this.shards = shards;
    }

    public int shard() {
        return shard;
    }

    public int shards() {
        return shards;
    }

    /** The shard's rows. */
    public EmbeddingRows rows() {
        return rows;
    }

    /**
     * Runs {@code policies} over the shard's rows: every request's pull is noted before its push
     * ({@link ShardPolicies#pulled}), and after each push applied a pass may run or rows at rest be
     * evicted ({@link ShardPolicies#afterPush}), before the pull is answered.
     */
    public void policies(ShardPolicies policies) {
        this.policies = policies;
    }

    /** The shard's policies, or null. */
    public ShardPolicies policies() {
        return policies;
    }

    /**
     * Applies the request's push unless its batch was applied before, then answers its pull with the
     * rows as they are after the push.
     *
     * @throws IllegalArgumentException naming the key, this shard and S when a key of the push or the
     *                                  pull belongs to another shard, or naming both strides when the
     *                                  request's stride is not the store's; nothing is applied then
     */
    public ShardReply handle(ShardRequest r) {
        if (r.stride() != rows.stride()) {
            throw new IllegalArgumentException("request of trainer " + r.trainer() + ", batch " + r.batch() + " has stride "
                    + r.stride() + " but shard " + shard + "'s store " + rows.name() + " has stride " + rows.stride()
                    + " (D + 1)");
        }
        checkOwned(r, r.pushKeys(), "push");
        checkOwned(r, r.pullKeys(), "pull");
        if (policies != null) {
            policies.pulled(r.batch(), r.pullKeys());
        }
        if (r.hasPush()) {
            push(r);
        }
        long[] keys = r.pullKeys();
        byte[][] out = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            byte[] row = rows.encodedRow(keys[i]);
            out[i] = row == null ? NOT_STORED : row;
        }
        return new ShardReply(shard, r.trainer(), r.batch(), r.stride(), keys, out,
                policies == null ? new long[0] : policies.endRequest());
    }

    private void checkOwned(ShardRequest r, long[] keys, String what) {
        for (long key : keys) {
            int owner = RowShards.shardOf(key, shards);
            if (owner != shard) {
                throw new IllegalArgumentException(what + " key " + key + " of trainer " + r.trainer() + ", batch " + r.batch()
                        + " belongs to shard " + owner + ", not to shard " + shard + " (S = " + shards + ")");
            }
        }
    }

    private void push(ShardRequest r) {
        if (r.pushBatch() <= lastApplied(r.trainer())) {
            duplicatePushes++;
            return;
        }
        boolean applied = false;
        long[] keys = r.pushKeys();
        int[] accesses = r.pushAccesses();
        float[] grads = r.pushGrads();
        long[] gone = policies == null ? null : policies.evictedSince(r.pushBatch());
        if (gone != null) { // rows evicted since this batch read them: both sides forgot them and their updates
            int stride = r.stride();
            int n = 0;
            keys = keys.clone();
            accesses = accesses.clone();
            grads = grads.clone();
            for (int i = 0; i < keys.length; i++) {
                if (Arrays.binarySearch(gone, keys[i]) >= 0) {
                    droppedGradients++;
                    continue;
                }
                keys[n] = keys[i];
                accesses[n] = accesses[i];
                System.arraycopy(grads, i * stride, grads, n * stride, stride);
                n++;
            }
            keys = Arrays.copyOf(keys, n);
        }
        try {
            rows.scatter(keys, accesses, keys.length, grads, r.pushStep());
            appliedPushes++;
            applied = true;
        } catch (IllegalArgumentException | StoreException e) {
            if (e instanceof StoreException && e.getCause() != null) {
                throw e;
            }
            failedPushes++;
            lastFailure = "push of trainer " + r.trainer() + ", batch " + r.pushBatch() + " (with the request of batch "
                    + r.batch() + ") not applied: " + e.getMessage();
        }
        lastApplied.put(r.trainer(), r.pushBatch());
        if (applied && policies != null) {
            try {
                policies.afterPush(r.batch(), r.pushBatch() + 1);
            } catch (RuntimeException e) {
                if (e instanceof StoreException && e.getCause() != null) {
                    throw e; // the store's disk, not the pass
                }
                failedPasses++; // as in the trainer: a failed pass does not stop training
                lastFailure = "policy pass of shard " + shard + " after the push of batch " + r.pushBatch() + " failed: " + e;
            }
        }
    }

    /** The last batch of {@code trainer} whose push was applied (or failed); -1 when none. */
    public long lastApplied(int trainer) {
        return lastApplied.getOrDefault(trainer, -1L);
    }

    /** Pushes applied since this object was made. */
    public long appliedPushes() {
        return appliedPushes;
    }

    /** Pushes skipped because their batch had been applied before (re-sent requests). */
    public long duplicatePushes() {
        return duplicatePushes;
    }

    /** Pushes the store refused (skipped; their pulls were answered). */
    public long failedPushes() {
        return failedPushes;
    }

    /** Pushed row gradients dropped because their row was evicted after the batch read it. */
    public long droppedGradients() {
        return droppedGradients;
    }

    /** Policy passes that failed (skipped; training went on). */
    public long failedPasses() {
        return failedPasses;
    }

    /** What the last failed push or pass was and why, or null. */
    public String lastFailure() {
        return lastFailure;
    }

    /**
     * The progress, to be stored with the rows: {@code u8 format=1 | u32 shard | u32 S | u32 n |
     * n × (u32 trainer, u64 last applied batch)}, trainers ascending.
     */
    public byte[] exportProgress() {
        ByteBuffer b = ByteBuffer.allocate(13 + 12 * lastApplied.size());
        b.put(PROGRESS_FORMAT).putInt(shard).putInt(shards).putInt(lastApplied.size());
        lastApplied.forEach((trainer, batch) -> b.putInt(trainer).putLong(batch));
        return b.array();
    }

    /**
     * Replaces the progress with {@code bytes} from {@link #exportProgress()} (null: none yet).
     *
     * @throws IllegalArgumentException when the bytes are malformed, or were exported by another
     *                                  shard or for another S (the rows would be another shard's)
     */
    public void restoreProgress(byte[] bytes) {
        lastApplied.clear();
        if (bytes == null) {
            return;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int format = b.get() & 0xFF;
            if (format != PROGRESS_FORMAT) {
                throw new IllegalArgumentException("row shard progress format " + format + " is not supported (this build reads "
                        + PROGRESS_FORMAT + ")");
            }
            int s = b.getInt();
            int n = b.getInt();
            if (s != shard || n != shards) {
                throw new IllegalArgumentException("row shard progress is shard " + s + " of S = " + n + ", this is shard "
                        + shard + " of S = " + shards + ": the shard count cannot change under stored rows");
            }
            int count = b.getInt();
            if (count < 0 || (long) count * 12 != b.remaining()) {
                throw new IllegalArgumentException("row shard progress of " + count + " trainers has " + b.remaining()
                        + " bytes for them, not 12 each");
            }
            for (int i = 0; i < count; i++) {
                lastApplied.put(b.getInt(), b.getLong());
            }
        } catch (BufferUnderflowException e) {
            lastApplied.clear();
            throw new IllegalArgumentException("row shard progress of " + bytes.length + " bytes is truncated", e);
        } catch (IllegalArgumentException e) {
            lastApplied.clear();
            throw e;
        }
    }
}
