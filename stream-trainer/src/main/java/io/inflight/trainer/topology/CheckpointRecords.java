package io.inflight.trainer.topology;

import io.inflight.trainer.state.RowCodec;
import io.inflight.trainer.state.TrainerStateStore;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The shapes in which {@link BatchTrainerProcessor} keeps its checkpoint in
 * {@code inflight-trainer-state}: counters as 8-byte longs, byte strings split into numbered parts
 * (each record must fit the producer's {@code max.request.size}) and float arrays in numbered chunks.
 */
final class CheckpointRecords {

    private final KeyValueStore<String, byte[]> state;
    private final int partBytes;
    private final int chunkFloats;

    CheckpointRecords(KeyValueStore<String, byte[]> state, int partBytes, int chunkFloats) {
        this.state = state;
        this.partBytes = partBytes;
        this.chunkFloats = chunkFloats;
    }

    /** The long under {@code key}, 0 when there is none. */
    long getLong(String key) {
        byte[] bytes = state.get(key);
        return bytes == null ? 0 : ByteBuffer.wrap(bytes).getLong();
    }

    void putLong(String key, long value) {
        state.put(key, ByteBuffer.allocate(8).putLong(value).array());
    }

    /**
     * Stores {@code bytes} under {@code prefix + 0, 1, ...} in parts of at most the part size and
     * deletes the parts beyond them that an earlier, longer value left.
     *
     * @param stored parts written last time
     * @return parts written now
     */
    int writeParts(String prefix, byte[] bytes, int stored) {
        List<byte[]> parts = new ArrayList<>();
        for (int from = 0; from < bytes.length; from += partBytes) {
            parts.add(Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + partBytes)));
        }
        return writeAll(prefix, parts, stored);
    }

    /**
     * Stores {@code values} under {@code prefix + 0, 1, ...} (read back by {@link #readParts}) and
     * deletes the ones beyond them that an earlier, longer list left.
     *
     * @param stored values written last time
     * @return values written now
     */
    int writeAll(String prefix, List<byte[]> values, int stored) {
        for (int i = 0; i < values.size(); i++) {
            state.put(prefix + i, values.get(i));
        }
        for (int j = values.size(); j < stored; j++) {
            state.delete(prefix + j);
        }
        return values.size();
    }

    /** The parts {@link #writeParts} stored under {@code prefix}, in order (empty when there are none). */
    List<byte[]> readParts(String prefix) {
        Map<Integer, byte[]> parts = new HashMap<>();
        try (KeyValueIterator<String, byte[]> it = state.prefixScan(prefix, new StringSerializer())) {
            it.forEachRemaining(kv -> parts.put(Integer.parseInt(kv.key.substring(prefix.length())), kv.value));
        }
        List<byte[]> out = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            byte[] bytes = parts.get(i);
            if (bytes == null) {
                throw new IllegalStateException("store " + TrainerStateStore.STATE + ": the parts of " + prefix
                        + " have a gap at " + i);
            }
            out.add(bytes);
        }
        return out;
    }

    static byte[] join(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    /** Stores {@code values} under {@code prefix + 0, 1, ...} in chunks of at most the chunk size. */
    void writeFloats(String prefix, float[] values) {
        float[] chunk = new float[chunkFloats];
        for (int c = 0; c * chunkFloats < values.length; c++) {
            int n = Math.min(chunkFloats, values.length - c * chunkFloats);
            System.arraycopy(values, c * chunkFloats, chunk, 0, n);
            state.put(prefix + c, RowCodec.encode(chunk, n));
        }
    }

    /**
     * Reads what {@link #writeFloats} stored under {@code prefix} into {@code into} (as far as it
     * goes).
     *
     * @return false when nothing is stored
     */
    boolean readFloats(String prefix, float[] into) {
        boolean found = false;
        float[] chunk = new float[chunkFloats];
        for (int c = 0; c * chunkFloats < into.length; c++) {
            byte[] bytes = state.get(prefix + c);
            if (bytes == null) {
                break;
            }
            int n = Math.min(chunkFloats, into.length - c * chunkFloats);
            RowCodec.decode(bytes, chunk, n, TrainerStateStore.STATE, prefix + c);
            System.arraycopy(chunk, 0, into, c * chunkFloats, n);
            found = true;
        }
        return found;
    }
}
