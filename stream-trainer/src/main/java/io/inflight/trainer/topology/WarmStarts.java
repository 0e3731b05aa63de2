package io.inflight.trainer.topology;

import io.inflight.store.EmbeddingStore;
import io.inflight.trainer.model.BatchModel;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Warm starts registered per application id: a new application's trainer tasks start from a saved
 * model (a snapshot) instead of an empty one. A task seeds its table and dense parameters only when
 * it has no state of its own (no batch trained, no row stored), before it re-applies its journal, so
 * a restart of a warm-started application resumes from its own checkpoint and a replay after a crash
 * before the first checkpoint seeds the same model again (the result is the same bit for bit).
 */
public final class WarmStarts {

    /** What a task starts from. Called on the task's stream thread. */
    public interface WarmStart {

        /**
         * Stores the saved rows in {@code rows} (empty) and imports the saved dense parameters into
         * {@code model}; returns how many rows were stored.
         */
        long seed(int partition, EmbeddingStore rows, BatchModel model);
    }

    private static final Map<String, WarmStart> BY_APPLICATION = new ConcurrentHashMap<>();

    private WarmStarts() {
    }

    /** Registers the warm start of application {@code applicationId}, before it starts. */
    public static void register(String applicationId, WarmStart warmStart) {
        BY_APPLICATION.put(applicationId, warmStart);
    }

    public static void unregister(String applicationId) {
        BY_APPLICATION.remove(applicationId);
    }

    /** Seeds a task without state of its own from its application's warm start, if any; returns the rows stored (-1: none). */
    static long seedIfFresh(String applicationId, int partition, long batches, EmbeddingStore rows, BatchModel model) {
        WarmStart w = BY_APPLICATION.get(applicationId);
        if (w == null || batches > 0 || rows.rowCount() > 0) {
            return -1;
        }
        return w.seed(partition, rows, model);
    }
}
