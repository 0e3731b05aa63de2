package io.inflight.store.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.StoreException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store over a standalone RocksDB cold tier: rows survive closing and reopening the database. */
class RocksTierStoreTest {

    @TempDir
    Path dir;

    @Test
    void shouldReopenFlushedRowsFromRocksDbAndRejectACorruptRow() {
        StoreConfig cfg = StoreConfig.defaults(ChunkLayout.of(4, 4, 8)).withPrecision(Precision.INT8).withHotCapacity(8)
                .withInit(EmbeddingTable.ChunkInit.RANDOM, 0.05f);
        long[] keys = new long[40];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = i * 1_000_003L;
        }
        float[] grads = new float[keys.length * 17];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = (i % 7 - 3) * 0.01f;
        }
        float[] before = new float[keys.length * 17];
        long bytes;
        try (RocksColdTier tier = RocksColdTier.open("rocks-emb", dir)) {
            EmbeddingStore s = new EmbeddingStore("rocks-emb", cfg, tier);
            s.scatter(keys, null, keys.length, grads, 1);
            s.flush();
            s.gather(keys, keys.length, before);
            bytes = s.storedBytes();
        }
        try (RocksColdTier tier = RocksColdTier.open("rocks-emb", dir)) {
            EmbeddingStore s = new EmbeddingStore("rocks-emb", cfg, tier);
            float[] after = new float[keys.length * 17];
            s.gather(keys, keys.length, after);
            assertThat(after).isEqualTo(before);
            assertThat(s.rowCount()).isEqualTo(keys.length);
            assertThat(s.storedBytes()).isEqualTo(bytes);

            byte[] row = tier.get(keys[5]);
            row[row.length / 2] ^= 1;
            tier.put(keys[5], row);
            EmbeddingStore again = new EmbeddingStore("rocks-emb", cfg.withHotCapacity(100), tier);
            assertThatThrownBy(() -> again.gather(new long[] {keys[5]}, 1, new float[17]))
                    .isInstanceOf(StoreException.class).hasMessageContaining("rocks-emb")
                    .hasMessageContaining("row key " + keys[5]).hasMessageContaining("corrupt");
        }
        try (RocksColdTier tier = RocksColdTier.open("rocks-emb", dir)) {
            EmbeddingStore other = new EmbeddingStore("rocks-emb", StoreConfig.defaults(ChunkLayout.of(8, 8)), tier);
            assertThatThrownBy(other::rowCount).isInstanceOf(StoreException.class).hasMessageContaining("4,4,8");
        }
    }
}
