package io.inflight.trainer.topology;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.RowSink;
import io.inflight.topics.ModelUpdateCodec;
import java.util.function.BiConsumer;

/**
 * The model-updates records of the rows a store changed since its last publication: per row its
 * values, linear weight, chunk mask and the widest precision among its stored chunks; a tombstone
 * (null value) for an evicted row. What the trainer's {@link Publication} and a row shard publish.
 */
public final class ChangedRowRecords {

    private ChangedRowRecords() {
    }

    /**
     * Gives {@code out} the key and value of each row {@code rows} changed since its changed set was
     * last cleared, under model {@code modelId}; does not clear it.
     */
    public static void visit(EmbeddingRows rows, int modelId, BiConsumer<byte[], byte[]> out) {
        int d = rows.dim();
        rows.forEachChanged(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                int bits = 0;
                for (int c = 0; c < precisions.length; c++) {
                    if ((mask & (1 << c)) != 0) {
                        bits = Math.max(bits, precisions[c].bits());
                    }
                }
                out.accept(ModelUpdateCodec.rowKey(modelId, key), ModelUpdateCodec.row(linear, values, 0, d, mask, bits));
            }

            @Override
            public void evicted(long key) {
                out.accept(ModelUpdateCodec.rowKey(modelId, key), null);
            }
        });
    }
}
