package io.inflight.trainer.topology;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Progressive metrics mirrored into the trainer-state store on every change, so they commit with the
 * offsets; reloaded from the store when a task (re)initialises.
 */
final class PersistedMetrics {

    private final ProgressiveMetrics metrics;
    private final KeyValueStore<String, byte[]> store;

    PersistedMetrics(KeyValueStore<String, byte[]> store, int bins) {
        this.store = store;
        this.metrics = TrainerStateStore.loadMetrics(store, bins);
    }

    void record(double logit, int label) {
        int bin = metrics.record(logit, label);
        store.put(TrainerStateStore.METRICS_KEY, metrics.scalars().toBytes());
        store.put(TrainerStateStore.binKey(bin), TrainerStateStore.binValue(metrics.positiveCount(bin), metrics.negativeCount(bin)));
    }

    void rejected() {
        metrics.recordRejected();
        store.put(TrainerStateStore.METRICS_KEY, metrics.scalars().toBytes());
    }
}
