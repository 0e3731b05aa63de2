package io.inflight.trainer.topology;

import io.inflight.trainer.shard.BatchRows;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pushes a {@link ShardedTrainerProcessor} holds between the training of a batch and the request
 * that carries its push, as checkpoint bytes; and the key of a request to a shard.
 */
final class ShardPushes {

    private final int stride;

    ShardPushes(int stride) {
        this.stride = stride;
    }

    /** The key of a request to shard {@code s}: its number, 4 bytes big-endian (the partitioner's input). */
    static byte[] shardKey(int s) {
        return ByteBuffer.allocate(4).putInt(s).array();
    }

    byte[] encode(Map<Long, BatchRows.Push> pushes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(pushes.size());
            for (Map.Entry<Long, BatchRows.Push> e : pushes.entrySet()) {
                BatchRows.Push p = e.getValue();
                out.writeLong(e.getKey());
                out.writeLong(p.step());
                out.writeInt(p.keys().length);
                for (int s = 0; s < p.keys().length; s++) {
                    out.writeInt(p.keys()[s].length);
                    for (int i = 0; i < p.keys()[s].length; i++) {
                        out.writeLong(p.keys()[s][i]);
                        out.writeInt(p.accesses()[s][i]);
                    }
                    for (float g : p.grads()[s]) {
                        out.writeFloat(g);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The pushes {@link #encode} wrote (empty for no bytes).
     *
     * @throws IllegalStateException when they were written for another number of shards
     */
    TreeMap<Long, BatchRows.Push> decode(byte[] bytes, int shards) {
        TreeMap<Long, BatchRows.Push> out = new TreeMap<>();
        if (bytes.length == 0) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int n = b.getInt();
        for (int k = 0; k < n; k++) {
            long batch = b.getLong();
            long step = b.getLong();
            int s0 = b.getInt();
            if (s0 != shards) {
                throw new IllegalStateException("the trainer's checkpoint holds pushes for " + s0 + " row shards, but "
                        + "inflight.topology.shards is " + shards + "; keep the setting the application was trained with");
            }
            long[][] keys = new long[shards][];
            int[][] accesses = new int[shards][];
            float[][] grads = new float[shards][];
            for (int s = 0; s < shards; s++) {
                int m = b.getInt();
                keys[s] = new long[m];
                accesses[s] = new int[m];
                grads[s] = new float[m * stride];
                for (int i = 0; i < m; i++) {
                    keys[s][i] = b.getLong();
                    accesses[s][i] = b.getInt();
                }
                for (int i = 0; i < m * stride; i++) {
                    grads[s][i] = b.getFloat();
                }
            }
            out.put(batch, new BatchRows.Push(step, keys, accesses, grads));
        }
        return out;
    }
}
