package io.inflight.trainer.state;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Names of the trainer's stores and the layout of the metrics in its state store, shared by the
 * processor that writes them and by readers (tests). The rest of the state store's layout is
 * {@code BatchTrainerProcessor}'s ({@code CheckpointRecords}).
 *
 * <ul>
 *   <li>{@code metrics}: {@link ProgressiveMetrics.Scalars};</li>
 *   <li>{@code auc/<bin>}: 16 bytes, positive and negative counts of one logit bin.</li>
 * </ul>
 */
public final class TrainerStateStore {

    public static final String STATE = "inflight-trainer-state";
    /** The mini-batch trainer's embedding store (chunked rows at mixed precision). */
    public static final String EMBEDDINGS = "inflight-embeddings";
    /** The mini-batch trainer's journal: the events applied since its last checkpoint. */
    public static final String JOURNAL = "inflight-journal";
    public static final String METRICS_KEY = "metrics";
    public static final String BIN_PREFIX = "auc/";

    private TrainerStateStore() {
    }

    public static String binKey(int bin) {
        return BIN_PREFIX + bin;
    }

    /** Key prefix of sub-window {@code slot} of the sliding-window metrics. */
    public static String windowPrefix(int slot) {
        return "win" + slot + "/";
    }

    /** Key holding the sliding window's current slot and its event count. */
    public static final String WINDOW_META = "win-meta";

    public static byte[] binValue(long positives, long negatives) {
        return ByteBuffer.allocate(16).putLong(positives).putLong(negatives).array();
    }

    /** Loads metrics (scalars and every bin) from a state store; empty metrics when none stored. */
    public static ProgressiveMetrics loadMetrics(ReadOnlyKeyValueStore<String, byte[]> store, int bins) {
        return loadMetrics(store, bins, "");
    }

    /** Loads the sliding-window metrics: the merge of every sub-window. */
    public static ProgressiveMetrics loadWindow(ReadOnlyKeyValueStore<String, byte[]> store, int bins, int slots) {
        ProgressiveMetrics m = new ProgressiveMetrics(bins);
        for (int s = 0; s < slots; s++) {
            m.merge(loadMetrics(store, bins, windowPrefix(s)));
        }
        return m;
    }

    /** Loads metrics stored under {@code prefix} (empty for the whole stream). */
    public static ProgressiveMetrics loadMetrics(ReadOnlyKeyValueStore<String, byte[]> store, int bins, String prefix) {
        ProgressiveMetrics m = new ProgressiveMetrics(bins);
        byte[] scalars = store.get(prefix + METRICS_KEY);
        if (scalars != null) {
            m.restore(ProgressiveMetrics.Scalars.fromBytes(scalars));
        }
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix + BIN_PREFIX,
                new StringSerializer())) {
            while (it.hasNext()) {
                var kv = it.next();
                int bin = Integer.parseInt(kv.key.substring(prefix.length() + BIN_PREFIX.length()));
                if (bin >= bins) {
                    throw new IllegalStateException("store " + STATE + ": AUC bin " + bin
                            + " is outside [0, " + bins + "); was inflight.metrics.auc.bins changed for an existing application id?");
                }
                ByteBuffer b = ByteBuffer.wrap(kv.value);
                m.restoreBin(bin, b.getLong(), b.getLong());
            }
        }
        return m;
    }
}
