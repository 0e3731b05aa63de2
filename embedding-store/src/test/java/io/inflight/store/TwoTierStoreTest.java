package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A hot tier of 16 rows in front of a cold tier: most rows move between tiers during the workload. */
class TwoTierStoreTest extends EmbeddingStoreContractTest {

    private MemoryColdTier cold;

    @Override
    EmbeddingStore newStore(StoreConfig config) {
        cold = new MemoryColdTier();
        return new EmbeddingStore("two-tier", config.withHotCapacity(16), cold);
    }

    @Override
    boolean durable() {
        return true;
    }

    @Test
    void shouldMoveLeastRecentlyUsedRowsToTheColdTier() {
        EmbeddingStore s = newStore(config());
        workload(s);
        MemoryReport m = s.memory();
        assertThat(m.hotRows()).isEqualTo(16);
        assertThat(m.coldRows()).isEqualTo(s.rowCount() - 16).isPositive();
        assertThat(cold.size()).isGreaterThanOrEqualTo((int) m.coldRows());
        s.flush();
        assertThat(cold.size()).isEqualTo((int) s.rowCount());
    }
}
