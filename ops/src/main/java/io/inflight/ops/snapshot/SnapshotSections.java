package io.inflight.ops.snapshot;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses the checked header and sections of a {@link SnapshotFile}. */
final class SnapshotSections {

    private SnapshotSections() {
    }

    static ModelSnapshot parse(ByteBuffer h, ByteBuffer rowsBody, ByteBuffer denseBody, ByteBuffer sharedBody) {
        String app = SnapshotFile.str(h);
        int model = h.getInt();
        int dim = h.getInt();
        long denseVersion = h.getLong();
        Map<String, String> settings = SnapshotFile.settings(h);
        String topic = SnapshotFile.str(h);
        Map<Integer, Long> offsets = new LinkedHashMap<>();
        for (int i = h.getShort() & 0xFFFF; i > 0; i--) {
            offsets.put(h.getInt(), h.getLong());
        }
        List<ModelSnapshot.Row> rows = new ArrayList<>();
        for (int i = rowsBody.hasRemaining() ? rowsBody.getInt() : 0; i > 0; i--) {
            long key = rowsBody.getLong();
            int mask = rowsBody.getInt();
            int bits = rowsBody.get() & 0xFF;
            float linear = rowsBody.getFloat();
            rows.add(new ModelSnapshot.Row(key, mask, bits, linear, floats(rowsBody, dim)));
        }
        float[] dense = denseBody.hasRemaining() ? floats(denseBody, denseBody.getInt()) : new float[0];
        ModelSnapshot.Shared shared = null;
        if (sharedBody != null) {
            long version = sharedBody.getLong();
            int tableRows = sharedBody.getInt();
            int[] widths = new int[sharedBody.get() & 0xFF];
            for (int c = 0; c < widths.length; c++) {
                widths[c] = sharedBody.getShort() & 0xFFFF;
            }
            float[] gates = floats(sharedBody, sharedBody.getShort() & 0xFFFF);
            shared = new ModelSnapshot.Shared(version, tableRows, floats(sharedBody, Math.multiplyExact(tableRows, dim + 1)),
                    widths, gates);
        }
        return new ModelSnapshot(app, model, settings, topic, offsets, dim, rows, denseVersion, dense, shared);
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getFloat();
        }
        return out;
    }
}
