package io.inflight.ops.bench;

import io.inflight.store.SharedRows;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.topology.TrainerTasks;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared hashed rows as published (the latest chunk of each key and the latest gates, per model)
 * against the trainer's own: the part of {@link RecoveryBench}'s publication check for them. Not
 * thread-safe.
 */
final class SharedPublicationCheck {

    private final Map<Integer, Map<Long, ModelUpdateCodec.SharedChunk>> chunks = new HashMap<>();
    private final Map<Integer, ModelUpdateCodec.Gates> gates = new HashMap<>();

    /** Takes one model-updates record; other kinds than shared chunks and gates are ignored. */
    void accept(ModelUpdateCodec.Key k, byte[] value) {
        if (k.kind() == ModelUpdateCodec.Kind.SHARED) {
            Map<Long, ModelUpdateCodec.SharedChunk> m = chunks.computeIfAbsent(k.model(), x -> new HashMap<>());
            if (value == null) {
                m.remove(k.id());
            } else {
                m.put(k.id(), ModelUpdateCodec.decodeSharedChunk(value));
            }
        } else if (k.kind() == ModelUpdateCodec.Kind.GATES && value != null) {
            gates.put(k.model(), ModelUpdateCodec.decodeGates(value));
        }
    }

    /**
     * Compares with the shared rows of every task of {@code applicationId} here (on its thread).
     *
     * @return {shared rows of the trainer, mismatches}: a mismatch is a row missing or different in
     *         the latest chunks, a chunk of another H, or gates missing or different
     */
    long[] compare(String applicationId) {
        List<long[]> perTask = TrainerTasks.call(applicationId, v -> {
            SharedRows s = v.rows().shared();
            if (s == null) {
                return new long[] {0, chunks.containsKey(v.partition()) || gates.containsKey(v.partition()) ? 1 : 0};
            }
            int stride = v.rows().dim() + 1;
            float[] own = new float[s.rows() * stride];
            s.copyRows(0, s.rows(), own, 0);
            float[] published = new float[own.length];
            boolean[] held = new boolean[s.rows()];
            long mismatches = 0;
            for (ModelUpdateCodec.SharedChunk c : chunks.getOrDefault(v.partition(), Map.of()).values()) {
                if (c.tableRows() != s.rows()) {
                    mismatches++;
                    continue;
                }
                System.arraycopy(c.values(), 0, published, c.firstRow() * stride, c.values().length);
                Arrays.fill(held, c.firstRow(), c.firstRow() + c.n(), true);
            }
            for (int r = 0; r < s.rows(); r++) {
                if (!held[r] || !Arrays.equals(own, r * stride, (r + 1) * stride, published, r * stride, (r + 1) * stride)) {
                    mismatches++;
                }
            }
            ModelUpdateCodec.Gates g = gates.get(v.partition());
            if (g == null || g.tableRows() != s.rows() || !Arrays.equals(g.gates(), s.gates())) {
                mismatches++;
            }
            return new long[] {s.rows(), mismatches};
        }, Duration.ofSeconds(60)).orElseThrow(() -> new IllegalStateException("the trainer's tasks did not answer"));
        long[] sum = new long[2];
        perTask.forEach(t -> {
            sum[0] += t[0];
            sum[1] += t[1];
        });
        return sum;
    }
}
