package io.inflight.trainer.topology;

import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.shard.BatchRows;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link ShardedTrainerProcessor}'s checkpoint holds in the trainer-state store: the dense
 * state, the batches trained, how many batches' outputs a committed transaction holds, the raw
 * records of the events not trained yet (in order) and the pushes not sent yet. The rows are the
 * shards'. One thread.
 */
final class ShardedCheckpoint {

    private static final String BATCHES = "sharded/batches";
    private static final String OUTPUTS = "sharded/outputs";
    private static final String DENSE = "sharded/dense/";
    private static final String PENDING = "sharded/pending/";
    private static final String PUSHES = "sharded/pushes/";

    /** What {@link #restore} loaded besides the dense state. */
    record Restored(long trained, long outputsThrough, List<byte[]> untrained, TreeMap<Long, BatchRows.Push> held) {
    }

    private final CheckpointRecords records;
    private final BatchModel model;
    private final float[] dense;
    private final ShardPushes pushes;
    private final int shards;
    private int storedPendingParts;
    private int storedPushParts;

    ShardedCheckpoint(CheckpointRecords records, BatchModel model, int stride, int shards) {
        this.records = records;
        this.model = model;
        this.dense = new float[model.denseSize()];
        this.pushes = new ShardPushes(stride);
        this.shards = shards;
    }

    /** Loads the dense state into the model and returns the rest (zeros and nothing for a new task). */
    Restored restore() {
        if (records.readFloats(DENSE, dense)) {
            model.importDense(dense);
        }
        List<byte[]> pendingParts = records.readParts(PENDING);
        storedPendingParts = pendingParts.size();
        List<byte[]> raws = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(CheckpointRecords.join(pendingParts));
        while (b.hasRemaining()) {
            byte[] raw = new byte[b.getInt()];
            b.get(raw);
            raws.add(raw);
        }
        List<byte[]> pushParts = records.readParts(PUSHES);
        storedPushParts = pushParts.size();
        return new Restored(records.getLong(BATCHES), records.getLong(OUTPUTS), raws,
                pushes.decode(CheckpointRecords.join(pushParts), shards));
    }

    /** Writes a checkpoint: {@code untrained} are the sources of the events not trained yet, in order. */
    void write(long trained, long outputsThrough, List<DeadLetters.Source> untrained, Map<Long, BatchRows.Push> held) {
        model.exportDense(dense);
        records.writeFloats(DENSE, dense);
        records.putLong(BATCHES, trained);
        records.putLong(OUTPUTS, outputsThrough);
        int n = 0;
        for (DeadLetters.Source src : untrained) {
            n += 4 + src.value().length;
        }
        ByteBuffer raws = ByteBuffer.allocate(n);
        for (DeadLetters.Source src : untrained) {
            raws.putInt(src.value().length).put(src.value());
        }
        storedPendingParts = records.writeParts(PENDING, raws.array(), storedPendingParts);
        storedPushParts = records.writeParts(PUSHES, pushes.encode(held), storedPushParts);
    }

    /** SHA-256 of the dense state and the batch counter (the rows are the shards'). */
    byte[] digest(long trained) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            model.exportDense(dense);
            ByteBuffer b = ByteBuffer.allocate(4 * dense.length + 8);
            for (float v : dense) {
                b.putFloat(v);
            }
            md.update(b.putLong(trained).array());
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
