package io.inflight.trainer.topology;

import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import io.inflight.trainer.shard.BatchRows;
import io.inflight.trainer.shard.RowShards;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A batch of the {@link ShardedTrainerProcessor} between its cut and its training: its events, its
 * keys split by shard, the push it carries (of batch {@code number - W}) and the rows each shard
 * answered. A batch without events carries only a push (the last ones, at a finish).
 */
final class ShardBatch {

    private final int trainer;
    private final long number;
    private final List<ClickEvent> events;
    private final List<DeadLetters.Source> sources;
    private final BatchTrainer.Prepared prepared;
    private final int stride;
    private final long[][] pulled;
    private final byte[][][] rows;
    /** Per shard, the keys it evicted while it handled this batch's request. */
    private final long[][] evicted;
    private int answered;
    private BatchRows.Push push;
    private long pushBatch = -1;
    private long sentAt = -1;

    private ShardBatch(int trainer, long number, List<ClickEvent> events, List<DeadLetters.Source> sources,
                       BatchTrainer.Prepared prepared, long[][] pulled, int stride) {
        this.trainer = trainer;
        this.number = number;
        this.events = events;
        this.sources = sources;
        this.prepared = prepared;
        this.pulled = pulled;
        this.stride = stride;
        this.rows = new byte[pulled.length][][];
        this.evicted = new long[pulled.length][];
    }

    /**
     * The batch of the first {@code n} of {@code pending} events (their {@code sources} alongside), or
     * of fewer (halving) while one shard's keys would be more than {@code maxKeysPerShard}: a function
     * of the events, so the same events are cut the same way after a restart. A lone event that does
     * not fit goes as it is (its shard dead-letters the reply; the batch is asked for again). Takes
     * nothing out of the lists: the caller removes {@code events().size()} of each.
     */
    static ShardBatch cut(int trainer, long number, List<ClickEvent> pending, List<DeadLetters.Source> sources, int n,
                          BatchTrainer model, int shards, int stride, int maxKeysPerShard) {
        int m = n;
        ShardBatch b = of(trainer, number, new ArrayList<>(pending.subList(0, m)), new ArrayList<>(sources.subList(0, m)),
                model, shards, stride);
        while (m > 1 && b.largestPull() > maxKeysPerShard) {
            m /= 2;
            b = of(trainer, number, new ArrayList<>(pending.subList(0, m)), new ArrayList<>(sources.subList(0, m)), model,
                    shards, stride);
        }
        return b;
    }

    /**
     * The most keys of one shard a batch may have so that its request (its pull; and later the push of
     * them, 12 bytes and the D + 1 gradients a key) and its reply (a key, a length, the encoded row: at
     * most 64 + 8K + 4D bytes, and the key again if the shard evicts it) each take at most half of a
     * record of {@code maxRecordBytes}.
     */
    static int maxKeysPerShard(int maxRecordBytes, StoreConfig store) {
        int d = store.layout().dim();
        int perKey = Math.max(20 + 4 * (d + 1), 12 + 8 + 64 + 8 * store.layout().chunks() + 4 * d);
        return Math.max(1, (maxRecordBytes / 2 - 1024) / perKey);
    }

    /** The most keys the batch pulls from one shard. */
    int largestPull() {
        int most = 0;
        for (long[] keys : pulled) {
            most = Math.max(most, keys.length);
        }
        return most;
    }

    /**
     * Batch {@code number} of {@code trainer} over {@code events}: their keys worked out by
     * {@code model}; when that throws, the keys of the events that can be worked out one at a time
     * (the step then trains them one at a time and dead-letters the ones that fail).
     */
    static ShardBatch of(int trainer, long number, List<ClickEvent> events, List<DeadLetters.Source> sources,
                         BatchTrainer model, int shards, int stride) {
        BatchTrainer.Prepared prepared = null;
        long[] keys;
        int count;
        if (events.isEmpty()) {
            keys = new long[0];
            count = 0;
        } else {
            try {
                prepared = model.prepare(events);
                keys = prepared.keys();
                count = prepared.distinct();
            } catch (RuntimeException e) {
                Faults.rethrowIfInfrastructure(e);
                TreeSet<Long> union = new TreeSet<>();
                for (ClickEvent ev : events) {
                    try {
                        BatchTrainer.Prepared one = model.prepare(List.of(ev));
                        for (int i = 0; i < one.distinct(); i++) {
                            union.add(one.keys()[i]);
                        }
                    } catch (RuntimeException ex) {
                        Faults.rethrowIfInfrastructure(ex);
                    }
                }
                keys = union.stream().mapToLong(Long::longValue).toArray();
                count = keys.length;
            }
        }
        long[][] pulled = RowShards.split(keys, null, null, count, stride, shards).keys();
        return new ShardBatch(trainer, number, events, sources, prepared, pulled, stride);
    }

    long number() {
        return number;
    }

    List<ClickEvent> events() {
        return events;
    }

    List<DeadLetters.Source> sources() {
        return sources;
    }

    /** The events' keys worked out, or null when that failed (train them one at a time). */
    BatchTrainer.Prepared prepared() {
        return prepared;
    }

    long[][] pulled() {
        return pulled;
    }

    byte[][][] rows() {
        return rows;
    }

    /** Per shard, the keys it evicted while it handled this batch's request (the trainer forgets its copies). */
    long[][] evicted() {
        return evicted;
    }

    /** Sets the push this batch's requests carry: that of batch {@code pushBatch}, or none (null). */
    void push(BatchRows.Push push, long pushBatch) {
        this.push = push;
        this.pushBatch = push == null ? -1 : pushBatch;
    }

    /** The request to shard {@code s}. */
    ShardRequest request(int s) {
        return push == null ? BatchRows.Push.pullOnly(trainer, number, stride, pulled[s])
                : push.request(trainer, number, stride, pushBatch, s, pulled[s]);
    }

    boolean sent() {
        return sentAt >= 0;
    }

    long sentAt() {
        return sentAt;
    }

    void sentAt(long ms) {
        sentAt = ms;
    }

    boolean answered(int s) {
        return rows[s] != null;
    }

    int answeredCount() {
        return answered;
    }

    /** Takes shard {@code reply.shard()}'s rows; false (ignored) when that shard answered already or the reply does not fit. */
    boolean answer(ShardReply reply) {
        int s = reply.shard();
        if (s < 0 || s >= rows.length || rows[s] != null || reply.stride() != stride
                || !Arrays.equals(reply.keys(), pulled[s])) {
            return false;
        }
        rows[s] = reply.rows();
        evicted[s] = reply.evicted();
        answered++;
        return true;
    }

    /** Whether every shard answered. */
    boolean complete() {
        return answered == rows.length;
    }
}
