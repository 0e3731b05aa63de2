package io.inflight.trainer.topology;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Progressive metrics over the whole stream and over a sliding window, mirrored into the
 * trainer-state store on every change so they commit with the offsets; reloaded from the store when
 * a task (re)initialises.
 *
 * <p>The window is {@value #SLOTS} sub-windows of {@code windowEvents / SLOTS} events each; when
 * the current one fills, the oldest is cleared and reused, so the window covers between
 * {@code windowEvents - windowEvents / SLOTS} and {@code windowEvents} recent events.
 */
final class PersistedMetrics {

    static final int SLOTS = 10;

    private final ProgressiveMetrics metrics;
    private final ProgressiveMetrics[] window = new ProgressiveMetrics[SLOTS];
    private final KeyValueStore<String, byte[]> store;
    private final long slotEvents;
    private final int bins;
    private int slot;
    private long inSlot;
    private boolean deferred;
    private final java.util.BitSet dirtyBins = new java.util.BitSet();
    private final java.util.BitSet dirtyWindowBins = new java.util.BitSet();

    PersistedMetrics(KeyValueStore<String, byte[]> store, int bins, long windowEvents) {
        this.store = store;
        this.bins = bins;
        this.slotEvents = Math.max(1, windowEvents / SLOTS);
        this.metrics = TrainerStateStore.loadMetrics(store, bins);
        for (int s = 0; s < SLOTS; s++) {
            window[s] = TrainerStateStore.loadMetrics(store, bins, TrainerStateStore.windowPrefix(s));
        }
        byte[] meta = store.get(TrainerStateStore.WINDOW_META);
        if (meta != null) {
            ByteBuffer b = ByteBuffer.wrap(meta);
            slot = b.getInt();
            inSlot = b.getLong();
        }
    }

    /**
     * Until {@link #flushWrites()}, keep changes in memory (a batch processor records a whole batch,
     * then writes each changed value once).
     */
    void deferWrites() {
        deferred = true;
    }

    /** Writes every value changed since {@link #deferWrites()} and returns to writing at once. */
    void flushWrites() {
        deferred = false;
        writeAll();
    }

    void record(double logit, int label) {
        int bin = metrics.record(logit, label);
        dirtyBins.set(bin);
        if (inSlot == slotEvents) {
            writeAll(); // the slot about to be cleared must not have pending writes
            slot = (slot + 1) % SLOTS;
            inSlot = 0;
            clear(slot);
        }
        dirtyWindowBins.set(window[slot].record(logit, label));
        inSlot++;
        if (!deferred) {
            writeAll();
        }
    }

    private void writeAll() {
        if (dirtyBins.isEmpty() && dirtyWindowBins.isEmpty()) {
            return;
        }
        store.put(TrainerStateStore.METRICS_KEY, metrics.scalars().toBytes());
        for (int b = dirtyBins.nextSetBit(0); b >= 0; b = dirtyBins.nextSetBit(b + 1)) {
            store.put(TrainerStateStore.binKey(b), TrainerStateStore.binValue(metrics.positiveCount(b), metrics.negativeCount(b)));
        }
        dirtyBins.clear();
        ProgressiveMetrics w = window[slot];
        String prefix = TrainerStateStore.windowPrefix(slot);
        store.put(prefix + TrainerStateStore.METRICS_KEY, w.scalars().toBytes());
        for (int b = dirtyWindowBins.nextSetBit(0); b >= 0; b = dirtyWindowBins.nextSetBit(b + 1)) {
            store.put(prefix + TrainerStateStore.binKey(b), TrainerStateStore.binValue(w.positiveCount(b), w.negativeCount(b)));
        }
        dirtyWindowBins.clear();
        store.put(TrainerStateStore.WINDOW_META, ByteBuffer.allocate(12).putInt(slot).putLong(inSlot).array());
    }

    private void clear(int s) {
        String prefix = TrainerStateStore.windowPrefix(s);
        ProgressiveMetrics old = window[s];
        for (int b = 0; b < bins; b++) {
            if (old.positiveCount(b) != 0 || old.negativeCount(b) != 0) {
                store.delete(prefix + TrainerStateStore.binKey(b));
            }
        }
        store.delete(prefix + TrainerStateStore.METRICS_KEY);
        window[s] = new ProgressiveMetrics(bins);
    }

    void rejected() {
        metrics.recordRejected();
        store.put(TrainerStateStore.METRICS_KEY, metrics.scalars().toBytes());
    }
}
