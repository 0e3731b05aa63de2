package io.inflight.trainer.shard;

import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.topics.RowShardCodec.ShardReply;

/** A reply's encoded rows read back as floats, as the shard's own gather gives them (absent rows: their initialisation). */
final class ReplyRows {

    private ReplyRows() {
    }

    static float[] floats(ShardReply r, StoreConfig config) {
        EmbeddingStore decoded = EmbeddingStore.inMemory("decoded", config);
        for (int i = 0; i < r.keys().length; i++) {
            if (r.rows()[i].length > 0) {
                decoded.putEncodedRow(r.keys()[i], r.rows()[i]);
            }
        }
        float[] out = new float[r.keys().length * decoded.stride()];
        decoded.gather(r.keys(), r.keys().length, out);
        return out;
    }
}
