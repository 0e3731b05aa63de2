package io.inflight.trainer.state;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Layout of the trainer's small state store (dense parameters and progressive metrics), shared by
 * the processor that writes it and by readers (interactive queries, tests).
 *
 * <ul>
 *   <li>{@code dense}: the model's dense floats ({@link RowCodec});</li>
 *   <li>{@code metrics}: {@link ProgressiveMetrics.Scalars};</li>
 *   <li>{@code auc/<bin>}: 16 bytes, positive and negative counts of one logit bin.</li>
 * </ul>
 */
public final class TrainerStateStore {

    public static final String ROWS = "inflight-rows";
    public static final String STATE = "inflight-trainer-state";
    /** The mini-batch trainer's embedding store (chunked rows at mixed precision). */
    public static final String EMBEDDINGS = "inflight-embeddings";
    /** The mini-batch trainer's journal: the events applied since its last checkpoint. */
    public static final String JOURNAL = "inflight-journal";
    public static final String DENSE_KEY = "dense";
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

    /**
     * SHA-256 over every row (key and encoded value, weights and optimizer state, in store order) and
     * the dense parameters with their optimizer state (every key starting with {@code dense}): equal
     * digests mean bit-identical models.
     */
    public static java.security.MessageDigest digest(java.security.MessageDigest md,
                                                     ReadOnlyKeyValueStore<Long, byte[]> rows,
                                                     ReadOnlyKeyValueStore<String, byte[]> state) {
        ByteBuffer key = ByteBuffer.allocate(8);
        try (KeyValueIterator<Long, byte[]> it = rows.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                md.update(key.clear().putLong(kv.key).array());
                md.update(kv.value);
            }
        }
        // "dense" (per-event trainer) and "dense/<chunk>" (mini-batch trainer): parameters and optimizer state.
        try (KeyValueIterator<String, byte[]> it = state.prefixScan(DENSE_KEY,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            while (it.hasNext()) {
                var kv = it.next();
                md.update(kv.key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update(kv.value);
            }
        }
        return md;
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
                new org.apache.kafka.common.serialization.StringSerializer())) {
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
