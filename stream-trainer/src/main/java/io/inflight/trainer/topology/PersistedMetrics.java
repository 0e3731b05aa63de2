package io.inflight.trainer.topology;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.state.TrainerStateStore;
import java.nio.ByteBuffer;
import java.util.BitSet;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Progressive metrics over the whole stream and over a sliding window, mirrored into the
 * trainer-state store so they commit with the offsets; reloaded from the store when a task
 * (re)initialises. Changes stay in memory until {@link #writeAll()}, which the trainer calls at its
 * checkpoints.
 *
 * <p>The window is {@value #SLOTS} sub-windows of {@code windowEvents / SLOTS} events each; when
 * the current one fills, the oldest is cleared and reused, so the window covers between
 * {@code windowEvents - windowEvents / SLOTS} and {@code windowEvents} recent events.
 *
 * <p>Thread-safe: the trainer thread records, the stream thread counts dead letters, writes and
 * copies (for reads served while the trainer thread trains).
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
    private boolean scalarsDirty;
    private final BitSet dirtyBins = new BitSet();
    /** Per sub-window: bins changed (or cleared) since the last write; scalars changed. */
    private final BitSet[] dirtyWindowBins = new BitSet[SLOTS];
    private final boolean[] dirtyWindowScalars = new boolean[SLOTS];

    PersistedMetrics(KeyValueStore<String, byte[]> store, int bins, long windowEvents) {
        this.store = store;
        this.bins = bins;
        this.slotEvents = Math.max(1, windowEvents / SLOTS);
        this.metrics = TrainerStateStore.loadMetrics(store, bins);
        for (int s = 0; s < SLOTS; s++) {
            window[s] = TrainerStateStore.loadMetrics(store, bins, TrainerStateStore.windowPrefix(s));
            dirtyWindowBins[s] = new BitSet();
        }
        byte[] meta = store.get(TrainerStateStore.WINDOW_META);
        if (meta != null) {
            ByteBuffer b = ByteBuffer.wrap(meta);
            slot = b.getInt();
            inSlot = b.getLong();
        }
    }

    synchronized void record(double logit, int label) {
        dirtyBins.set(metrics.record(logit, label));
        scalarsDirty = true;
        if (inSlot == slotEvents) {
            slot = (slot + 1) % SLOTS;
            inSlot = 0;
            clear(slot);
        }
        dirtyWindowBins[slot].set(window[slot].record(logit, label));
        dirtyWindowScalars[slot] = true;
        inSlot++;
    }

    /** Writes every value changed since the last write: a bin that went back to zero is deleted. */
    synchronized void writeAll() {
        if (!scalarsDirty) {
            return;
        }
        store.put(TrainerStateStore.METRICS_KEY, metrics.scalars().toBytes());
        for (int b = dirtyBins.nextSetBit(0); b >= 0; b = dirtyBins.nextSetBit(b + 1)) {
            store.put(TrainerStateStore.binKey(b), TrainerStateStore.binValue(metrics.positiveCount(b), metrics.negativeCount(b)));
        }
        dirtyBins.clear();
        for (int s = 0; s < SLOTS; s++) {
            ProgressiveMetrics w = window[s];
            String prefix = TrainerStateStore.windowPrefix(s);
            BitSet dirty = dirtyWindowBins[s];
            for (int b = dirty.nextSetBit(0); b >= 0; b = dirty.nextSetBit(b + 1)) {
                if (w.positiveCount(b) == 0 && w.negativeCount(b) == 0) {
                    store.delete(prefix + TrainerStateStore.binKey(b));
                } else {
                    store.put(prefix + TrainerStateStore.binKey(b), TrainerStateStore.binValue(w.positiveCount(b),
                            w.negativeCount(b)));
                }
            }
            dirty.clear();
            if (dirtyWindowScalars[s]) {
                store.put(prefix + TrainerStateStore.METRICS_KEY, w.scalars().toBytes());
                dirtyWindowScalars[s] = false;
            }
        }
        store.put(TrainerStateStore.WINDOW_META, ByteBuffer.allocate(12).putInt(slot).putLong(inSlot).array());
        scalarsDirty = false;
    }

    /** Empties sub-window {@code s}; its stored bins are deleted at the next write. */
    private void clear(int s) {
        ProgressiveMetrics old = window[s];
        for (int b = 0; b < bins; b++) {
            if (old.positiveCount(b) != 0 || old.negativeCount(b) != 0) {
                dirtyWindowBins[s].set(b);
            }
        }
        dirtyWindowScalars[s] = true;
        window[s] = new ProgressiveMetrics(bins);
    }

    /** A copy of the metrics over the whole stream, or of the sliding window (its sub-windows merged). */
    synchronized ProgressiveMetrics copy(boolean ofWindow) {
        ProgressiveMetrics out = new ProgressiveMetrics(bins);
        if (ofWindow) {
            for (ProgressiveMetrics w : window) {
                out.merge(w);
            }
        } else {
            out.merge(metrics);
        }
        return out;
    }

    synchronized void rejected() {
        metrics.recordRejected();
        scalarsDirty = true;
    }
}
