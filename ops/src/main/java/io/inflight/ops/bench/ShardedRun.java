package io.inflight.ops.bench;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.RowShardCodec;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.shard.RowShard;
import io.inflight.trainer.shard.ShardPolicies;
import io.inflight.trainer.shard.ShardedRows;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@link InProcessRun} through row shards (issue 16): the same batching, progressive validation and
 * timing, but the rows live in S in-process {@link RowShard}s, each over its own in-memory store and,
 * unless the mode is {@code none}, running its {@link ShardPolicies} under its share of the budget
 * ({@link ShardPolicies#perShard}); the trainer reaches them through {@link ShardedRows} (window W,
 * no cache beyond the window's rows) and a synchronous exchange of the encoded requests and replies,
 * and runs no policies itself. The last partial batch is trained and {@link ShardedRows#flush} then
 * pushes the updates still held, so the shards end with every update (timed with the steps).
 *
 * <p>Bytes are the shards' {@link EmbeddingStore#storedBytes()}, read after every request a shard
 * handled: their sum is what the budget bounds (as one table's bytes are), so {@link Result#peakBytes}
 * means what the one-table peak means. The trainer's window cache (the rows of the last W batches,
 * a copy of rows the shards also hold) is not counted. The reads are O(S) running totals inside the
 * timed steps (negligible).
 */
public final class ShardedRun {

    /**
     * What a run measured.
     *
     * @param run             metrics and timing as {@link InProcessRun} reports them ({@code rows}: the shards' rows)
     * @param peakBytes       the most bytes the shards held together after any request
     * @param finalBytes      the shards' bytes at the end (after the flush)
     * @param meanBytes       the mean of the shards' bytes after each training step
     * @param steps           training steps
     * @param stepsOverBudget steps after which the shards held more than the budget (0 without one)
     * @param passes          policy passes the shards ran together
     * @param passSeconds     seconds of the requests during which a shard ran a pass: an upper bound of the
     *                        passes' cost (it includes those requests' own push and pull)
     * @param shardPeakShare  the largest single shard's peak bytes over its share of the budget (NaN without one)
     * @param victimEvictions rows the shards evicted between passes to hold their budgets
     * @param overShare       requests after which a shard held more than its share ({@link ShardPolicies#overBudget})
     */
    public record Result(InProcessRun.Result run, long peakBytes, long finalBytes, double meanBytes, long steps,
                         long stepsOverBudget, long passes, double passSeconds, double shardPeakShare,
                         long victimEvictions, long overShare) {
    }

    private ShardedRun() {
    }

    /**
     * Trains {@code model} over {@code events} through {@code shards} row shards with window {@code window}.
     *
     * @param store  every shard's store settings (and the trainer's window cache's): those of the one-table run
     * @param policy the whole table's policy settings: each shard runs {@link ShardPolicies#perShard} of them
     * @param scores may be null; receives every event's logit and label, in order
     * @throws IllegalArgumentException naming the mode when row shards do not run it
     * @throws IllegalStateException    when a shard refused a push or a pass failed (as a failing pass fails
     *                                  the one-table run)
     */
    public static Result run(BatchSettings settings, StoreConfig store, PolicySettings policy, BatchModel model,
                             Iterator<ClickEvent> events, int aucBins, int shards, int window, PairedAuc.Scores scores) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        if (!ShardPolicies.SUPPORTED.contains(policy.mode())) {
            throw new IllegalArgumentException(ShardPolicies.unsupported(policy.mode()));
        }
        PolicySettings share = ShardPolicies.perShard(policy, shards);
        RowShard[] shard = new RowShard[shards];
        for (int s = 0; s < shards; s++) {
            shard[s] = new RowShard(EmbeddingStore.inMemory("shard-" + s, store), s, shards);
            if (policy.mode() != PolicyMode.NONE) {
                shard[s].policies(new ShardPolicies(shard[s].rows(), share, window));
            }
        }
        Bytes bytes = new Bytes(shard);
        ShardedRows rows = new ShardedRows("sharded", store, 0, shards, window, 0, bytes::exchange);
        BatchTrainer trainer = new BatchTrainer(settings, model, rows);
        ProgressiveMetrics metrics = new ProgressiveMetrics(aucBins);
        BatchTrainer.Listener listener = scores == null ? (event, logit) -> metrics.record(logit, event.label())
                : (event, logit) -> {
                    metrics.record(logit, event.label());
                    scores.add(logit, event.label() == 1);
                };
        long budget = policy.budgetBytes();
        List<ClickEvent> batch = new ArrayList<>(settings.batchSize());
        long nonFinite = 0;
        long step = 0;
        long nanos = 0;
        long trained = 0;
        long over = 0;
        double sum = 0;
        while (events.hasNext()) {
            batch.add(events.next());
            if (batch.size() == settings.batchSize() || !events.hasNext()) {
                long t0 = System.nanoTime();
                nonFinite += trainer.step(batch, step++, listener) ? 0 : 1;
                nanos += System.nanoTime() - t0;
                sum += bytes.total;
                if (budget > 0 && bytes.total > budget) {
                    over++;
                }
                trained += batch.size();
                batch.clear();
            }
        }
        long t0 = System.nanoTime();
        rows.flush();
        nanos += System.nanoTime() - t0;
        long passes = 0;
        long victims = 0;
        long overShare = 0;
        long count = 0;
        double worstShare = Double.NaN;
        long shareBytes = share.budgetBytes();
        for (int s = 0; s < shards; s++) {
            RowShard r = shard[s];
            if (r.failedPushes() > 0 || r.failedPasses() > 0) {
                throw new IllegalStateException("row shard " + s + ": " + r.failedPushes() + " pushes refused, "
                        + r.failedPasses() + " passes failed; last: " + r.lastFailure());
            }
            count += r.rows().rowCount();
            if (r.policies() != null) {
                passes += r.policies().passes();
                victims += r.policies().victimEvictions();
                overShare += r.policies().overBudget();
            }
            if (budget > 0 && shareBytes > 0) {
                double sh = (double) bytes.shardPeak[s] / shareBytes;
                worstShare = Double.isNaN(worstShare) ? sh : Math.max(worstShare, sh);
            }
        }
        InProcessRun.Result run = new InProcessRun.Result(metrics.summary(), nanos / 1e9, count, nonFinite, trained,
                nanos / 1e9);
        return new Result(run, bytes.peak, bytes.total, step == 0 ? 0 : sum / step, step, over, passes,
                bytes.passNanos / 1e9, worstShare, victims, overShare);
    }

    /** The exchange to the shards, reading their bytes after every request. */
    private static final class Bytes {
        private final RowShard[] shard;
        private final long[] now;
        final long[] shardPeak;
        long total;
        long peak;
        long passNanos;

        Bytes(RowShard[] shard) {
            this.shard = shard;
            this.now = new long[shard.length];
            this.shardPeak = new long[shard.length];
        }

        byte[] exchange(int s, byte[] request) {
            RowShard r = shard[s];
            long passesBefore = r.policies() == null ? 0 : r.policies().passes();
            long t0 = System.nanoTime();
            byte[] reply = RowShardCodec.encode(r.handle(RowShardCodec.decodeRequest(request)));
            if (r.policies() != null && r.policies().passes() != passesBefore) {
                passNanos += System.nanoTime() - t0;
            }
            long b = r.rows().storedBytes();
            total += b - now[s];
            now[s] = b;
            shardPeak[s] = Math.max(shardPeak[s], b);
            peak = Math.max(peak, total);
            return reply;
        }
    }
}
