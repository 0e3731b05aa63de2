package io.inflight.store;

import io.inflight.store.rocksdb.RocksColdTier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The contract over a standalone RocksDB cold tier with a 16-row hot tier. */
class RocksContractTest extends EmbeddingStoreContractTest {

    @TempDir
    Path dir;
    private final List<RocksColdTier> open = new ArrayList<>();

    @Override
    EmbeddingStore newStore(StoreConfig config) {
        RocksColdTier tier = RocksColdTier.open("rocks", dir.resolve("db" + open.size()));
        open.add(tier);
        return new EmbeddingStore("rocks", config.withHotCapacity(16), tier);
    }

    @Override
    boolean durable() {
        return true;
    }

    @AfterEach
    void close() {
        open.forEach(RocksColdTier::close);
    }
}
