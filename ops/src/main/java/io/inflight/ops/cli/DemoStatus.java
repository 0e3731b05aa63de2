package io.inflight.ops.cli;

import io.inflight.ops.generate.DistinctFeatures;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.topology.TableStats;
import io.inflight.trainer.topology.TrainerTasks;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The demo's view of the mission besides the metrics: the trainer's table (bytes against every feature
 * of the stream seen so far stored whole at fp32, rows by stored chunks and by precision, what the
 * policies admitted, evicted and grew) and the serving replica that follows the model updates.
 */
final class DemoStatus {

    private final String applicationId;
    private final DistinctFeatures stream;
    private final long budgetBytes;
    private final ServingReplica replica;
    private final ClickEvent sample;

    /** @param sample the event the replica scores on every line (the stream's first) */
    DemoStatus(String applicationId, DistinctFeatures stream, long budgetBytes, ServingReplica replica, ClickEvent sample) {
        this.applicationId = applicationId;
        this.stream = stream;
        this.budgetBytes = budgetBytes;
        this.replica = replica;
        this.sample = sample;
    }

    /** The trainer's table now (read on its task's thread); empty while the task does not answer. */
    Optional<TableStats> table() {
        return TrainerTasks.tableStats(applicationId, Duration.ofSeconds(10));
    }

    /** The progress line's second line, after {@code events} trained events. */
    String line(long events) {
        return TableLine.INDENT + table().map(t -> table(t, events) + " | " + TableLine.rows(t)).orElse("table: not readable now")
                + " | " + replica();
    }

    /** Bytes against the fp32 table of every feature of the first {@code events} events. */
    String table(TableStats t, long events) {
        long features = stream.distinctAt(events);
        long full = features * t.fp32RowBytes();
        return TableLine.bytes(t, budgetBytes) + String.format(Locale.ROOT, " = 1/%.1f of fp32 (%s for the %,d features seen)",
                full / (double) Math.max(1, t.bytes()), TableLine.mb(full), features);
    }

    String replica() {
        long[] lag = replica.lagPercentiles();
        if (lag[0] < 0) {
            return "replica: no update yet";
        }
        return String.format(Locale.ROOT, "replica %,d rows, fresh p50 %d ms p99 %d ms, p(first event) %.4f",
                replica.model().rows(), lag[0], lag[1], replica.model().score(sample).p());
    }

    /**
     * Waits until the replica holds the trainer's final model: the dense parameters of the last of
     * {@code batches} batches and as many rows as the table (evicted rows arrive as tombstones).
     */
    boolean awaitReplica(long batches, long rows, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (replica.failure() != null) {
                throw new IllegalStateException("the serving replica stopped: " + replica.failure(), replica.failure());
            }
            if (replica.model().denseVersion() == batches && replica.model().rows() == rows) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** The replica's score of the sample event, as the summary prints it. */
    String sampleScore() {
        ServingModel.Score s = replica.model().score(sample);
        return String.format(Locale.ROOT, "replica's score of the stream's first event (label %d): p %.4f (%d of %d "
                + "features have a row)", sample.label(), s.p(), s.rowsFound(), s.features());
    }
}
