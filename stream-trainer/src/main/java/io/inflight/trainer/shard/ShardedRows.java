package io.inflight.trainer.shard;

import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec;
import io.inflight.topics.RowShardCodec.ShardReply;
import io.inflight.topics.RowShardCodec.ShardRequest;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * Row shards reached synchronously: {@link BatchRows} whose {@link #gather} sends the batch's
 * requests ({@link RowShardCodec}, one per shard) through an {@link Exchange} and reads the replies.
 * What the streaming trainer sends through Kafka topics, this class sends through a call, so the
 * protocol can be trained and measured in one process (tests and benches) with the same bytes.
 *
 * <p>Batch {@code b} is the {@code b}-th {@link #gather}. Its request to shard {@code s} pulls the
 * batch's keys of that shard and pushes what the {@link #scatter}s of batch {@code b - W} gave that
 * shard ({@code W} = {@code window}): the shard's answer holds the updates of batches up to
 * {@code b - W}, and the window cache ({@link BatchRows}) the later ones, so training is the same,
 * bit for bit, as over one local table with the shards' settings, whatever W. {@link #flush} pushes
 * what is left (requests without keys to pull, at batch numbers after the last). One thread.
 */
public final class ShardedRows extends BatchRows {

    /** Carries one encoded request to its shard and returns the shard's encoded reply. */
    @FunctionalInterface
    public interface Exchange {
        byte[] exchange(int shard, byte[] request);
    }

    private final int trainer;
    private final Exchange exchange;
    /** Per batch not yet pushed, its push. */
    private final TreeMap<Long, Push> pushes = new TreeMap<>();
    private long batch;
    private long requestBytes;
    private long replyBytes;
    private long records;

    /**
     * @param name     the table's name (in errors)
     * @param config   the shards' store settings (chunks, precision, optimizer): D and the stride come from it
     * @param trainer  this trainer's number in the requests
     * @param shards   S, at least 1
     * @param window   W, at least 1: batch b's reads hold the updates of batches up to b - W
     * @param exchange the way to the shards
     */
    public ShardedRows(String name, StoreConfig config, int trainer, int shards, int window, Exchange exchange) {
        this(name, config, trainer, shards, window, DEFAULT_CACHE_ROWS, exchange);
    }

    /** As above, the window cache keeping {@code cacheRows} rows beyond those of the last W batches. */
    public ShardedRows(String name, StoreConfig config, int trainer, int shards, int window, long cacheRows,
                       Exchange exchange) {
        super(name, config, shards, window, cacheRows);
        this.trainer = trainer;
        this.exchange = exchange;
    }

    @Override
    public void gather(long[] keys, int count, float[] out) {
        takeHeldPush();
        long b = batch++;
        long[][] pull = RowShards.split(keys, null, null, count, stride(), shards()).keys();
        Push push = pushes.remove(b - window());
        byte[][][] rows = new byte[shards()][][];
        long[][] evicted = new long[shards()][];
        for (int s = 0; s < shards(); s++) {
            ShardReply reply = send(s, b, push == null ? -1 : b - window(), push, pull[s]);
            rows[s] = reply.rows();
            evicted[s] = reply.evicted();
        }
        prime(b, pull, rows, evicted);
        super.gather(keys, count, out);
    }

    /** Files what was scattered since the last gather as the push of the batch last gathered; evicts. */
    private void takeHeldPush() {
        Push push = takePush();
        if (push != null) {
            pushes.put(batch - 1, push);
        }
        if (batch > 0) {
            evict(batch - 1);
        }
    }

    /** One request to shard {@code s} and its reply. */
    private ShardReply send(int s, long b, long pushBatch, Push push, long[] pull) {
        ShardRequest request = push == null ? Push.pullOnly(trainer, b, stride(), pull)
                : push.request(trainer, b, stride(), pushBatch, s, pull);
        byte[] bytes = RowShardCodec.encode(request);
        byte[] answer = exchange.exchange(s, bytes);
        requestBytes += bytes.length;
        replyBytes += answer.length;
        records += 2;
        ShardReply reply = RowShardCodec.decodeReply(answer);
        if (reply.batch() != b || reply.shard() != s || reply.trainer() != trainer || !Arrays.equals(reply.keys(), pull)) {
            throw new IllegalStateException("shard " + s + " of " + name() + " answered " + reply + " to " + request);
        }
        return reply;
    }

    /**
     * Pushes every held gradient, oldest batch first, in requests without keys to pull at the next
     * batch numbers; afterwards the shards hold every update.
     */
    public void flush() {
        takeHeldPush();
        while (!pushes.isEmpty()) {
            var oldest = pushes.pollFirstEntry();
            long b = Math.max(batch, oldest.getKey() + window());
            batch = b + 1;
            for (int s = 0; s < shards(); s++) {
                send(s, b, oldest.getKey(), oldest.getValue(), new long[0]);
            }
        }
        evict(batch - 1); // as after a streaming trainer's last batches: the shards may change rows at rest now
    }

    /** Encoded bytes sent to the shards so far. */
    public long requestBytes() {
        return requestBytes;
    }

    /** Encoded bytes the shards answered so far. */
    public long replyBytes() {
        return replyBytes;
    }

    /** Records exchanged so far (a request and its reply are two). */
    public long records() {
        return records;
    }

    /** Batches gathered so far (and batch numbers used by {@link #flush}). */
    public long batches() {
        return batch;
    }
}
