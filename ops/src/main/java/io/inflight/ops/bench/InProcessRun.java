package io.inflight.ops.bench;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Trains a {@link BatchModel} over a sequence of events in this thread, with rows in memory and no
 * Kafka: progressive validation exactly as the topology does it, for benchmarks and for baseline
 * accuracy on logs. The last partial batch is trained too. Only the training steps are timed, not
 * reading (or generating) the events, so a caller can stream events of any number.
 */
public final class InProcessRun {

    /**
     * What a run measured.
     *
     * @param metrics     progressive metrics over every event
     * @param seconds     wall-clock seconds spent in training steps (reading the events excluded)
     * @param rows        distinct rows at the end
     * @param nonFinite   batches the model refused as non-finite
     * @param steadyEvents events trained after the first {@code warmupEvents} (the warm-up: JIT, caches)
     * @param steadySeconds seconds their steps took
     */
    public record Result(ProgressiveMetrics.Summary metrics, double seconds, long rows, long nonFinite,
                         long steadyEvents, double steadySeconds) {
        public double eventsPerSecond() {
            return metrics.events() / Math.max(1e-9, seconds);
        }

        /** Events per second after the warm-up. */
        public double steadyEventsPerSecond() {
            return steadyEvents / Math.max(1e-9, steadySeconds);
        }
    }

    private InProcessRun() {
    }

    /** Rows the in-memory store of a run may hold. */
    public static final int MAX_ROWS = 1 << 24;

    /** A run at full precision and fixed dimension ({@link BatchTrainer#fullPrecision}). */
    public static Result run(BatchSettings settings, BatchModel model, Iterator<ClickEvent> events, int aucBins) {
        return run(settings, BatchTrainer.fullPrecision(settings, MAX_ROWS), model, events, aucBins);
    }

    /** As above, timing separately the events after the first {@code warmupEvents}. */
    public static Result run(BatchSettings settings, BatchModel model, Iterator<ClickEvent> events, int aucBins,
                             long warmupEvents) {
        return run(settings, BatchTrainer.fullPrecision(settings, MAX_ROWS), model, events, aucBins, warmupEvents);
    }

    /** A run with rows in an in-memory store configured by {@code store}. */
    public static Result run(BatchSettings settings, StoreConfig store, BatchModel model, Iterator<ClickEvent> events,
                             int aucBins) {
        return run(settings, store, model, events, aucBins, 0);
    }

    /** As above, timing separately the events after the first {@code warmupEvents}. */
    public static Result run(BatchSettings settings, StoreConfig store, BatchModel model, Iterator<ClickEvent> events,
                             int aucBins, long warmupEvents) {
        return run(settings, store, PolicySettings.defaults().with(PolicySettings.MODE, "none"), model, events, aucBins,
                warmupEvents);
    }

    /**
     * As above, with the policies of {@code policy} as the streaming trainer runs them: every step
     * follows their trainer contract and a pass runs after each {@code inflight.policy.interval.steps}
     * batches (timed with the steps).
     */
    public static Result run(BatchSettings settings, StoreConfig store, PolicySettings policy, BatchModel model,
                             Iterator<ClickEvent> events, int aucBins, long warmupEvents) {
        return run(settings, store, policy, model, events, aucBins, warmupEvents, null);
    }

    /**
     * Sees the table after every training step and after every policy pass, outside the timed part of
     * the run (so an observer does not slow the figures down). {@link EmbeddingStore#storedBytes()} and
     * {@link EmbeddingStore#rowCount()} are O(1) (running totals).
     */
    @FunctionalInterface
    public interface StepObserver {
        /**
         * @param step      steps trained so far (1 after the first)
         * @param events    events trained so far
         * @param rows      the run's table
         * @param afterPass false right after the training step (before any pass), true right after a pass
         */
        void observe(long step, long events, EmbeddingStore rows, boolean afterPass);
    }

    /** As above; {@code observer} (may be null) sees the table after every step and every pass. */
    public static Result run(BatchSettings settings, StoreConfig store, PolicySettings policy, BatchModel model,
                             Iterator<ClickEvent> events, int aucBins, long warmupEvents, StepObserver observer) {
        return run(settings, store, policy, model, events, aucBins, warmupEvents, observer, null);
    }

    /** As above; {@code scores} (may be null) receives every event's logit and label, in order, to compare runs. */
    public static Result run(BatchSettings settings, StoreConfig store, PolicySettings policy, BatchModel model,
                             Iterator<ClickEvent> events, int aucBins, long warmupEvents, StepObserver observer,
                             PairedAuc.Scores scores) {
        EmbeddingStore rows = EmbeddingStore.inMemory("in-process", store);
        BatchTrainer trainer = new BatchTrainer(settings, model, rows);
        PolicyRunner runner = policy.mode() == PolicyMode.NONE ? null
                : new PolicyRunner(policy, rows.chunkWidths(), settings.slots());
        trainer.policies(runner);
        ProgressiveMetrics metrics = new ProgressiveMetrics(aucBins);
        BatchTrainer.Listener listener = scores == null ? (event, logit) -> metrics.record(logit, event.label())
                : (event, logit) -> {
                    metrics.record(logit, event.label());
                    scores.add(logit, event.label() == 1);
                };
        List<ClickEvent> batch = new ArrayList<>(settings.batchSize());
        long nonFinite = 0;
        long step = 0;
        long nanos = 0;
        long steadyNanos = 0;
        long trained = 0;
        long steadyFrom = warmupEvents == 0 ? 0 : -1;
        while (events.hasNext()) {
            batch.add(events.next());
            if (batch.size() == settings.batchSize() || !events.hasNext()) {
                long t0 = System.nanoTime();
                nonFinite += trainer.step(batch, step++, listener) ? 0 : 1;
                long took = System.nanoTime() - t0;
                if (observer != null) {
                    observer.observe(step, trained + batch.size(), rows, false);
                }
                if (runner != null && runner.isPassDue(step)) {
                    long p0 = System.nanoTime();
                    runner.runPass(rows, step);
                    took += System.nanoTime() - p0;
                    if (observer != null) {
                        observer.observe(step, trained + batch.size(), rows, true);
                    }
                }
                nanos += took;
                if (steadyFrom >= 0) {
                    steadyNanos += took;
                }
                trained += batch.size();
                batch.clear();
                if (steadyFrom < 0 && trained >= warmupEvents) {
                    steadyFrom = trained;
                }
            }
        }
        double seconds = nanos / 1e9;
        double steadySeconds = steadyFrom < 0 ? 0 : steadyNanos / 1e9;
        steadyFrom = Math.max(0, steadyFrom);
        return new Result(metrics.summary(), seconds, rows.rowCount(), nonFinite, trained - steadyFrom, steadySeconds);
    }
}
