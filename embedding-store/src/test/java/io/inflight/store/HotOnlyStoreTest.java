package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The store held entirely in the hot tier. */
class HotOnlyStoreTest extends EmbeddingStoreContractTest {

    @Override
    EmbeddingStore newStore(StoreConfig config) {
        return EmbeddingStore.inMemory("hot-only", config);
    }

    @Override
    boolean durable() {
        return false;
    }

    @Test
    void shouldRefuseRowsBeyondCapacityWithoutAColdTier() {
        EmbeddingStore s = newStore(config().withHotCapacity(2));
        s.scatter(new long[] {1, 2}, null, 2, grads(2, 1), 1);
        assertThatThrownBy(() -> s.scatter(new long[] {3}, null, 1, grads(1, 1), 2))
                .isInstanceOf(StoreException.class).hasMessageContaining("hot-only").hasMessageContaining("row key 3");
    }
}
