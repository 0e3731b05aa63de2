package io.inflight.store.streams;

import io.inflight.store.StoreConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builders of {@link EmbeddingStateStore}s for a {@link org.apache.kafka.streams.Topology}:
 * <pre>{@code
 * topology.addStateStore(EmbeddingStores.builder("inflight-embeddings", config), "trainer");
 * // in the processor's init:
 * EmbeddingStore rows = context.<EmbeddingStateStore>getStateStore("inflight-embeddings").store();
 * }</pre>
 * The cold tier is {@code Stores.persistentKeyValueStore(name)} with logging enabled (changelog
 * {@code <application.id>-<name>-changelog}, compacted) and Streams' record cache disabled (the hot
 * tier is the cache).
 */
public final class EmbeddingStores {

    private EmbeddingStores() {
    }

    /** A builder of a persistent (RocksDB) store with a changelog. */
    public static StoreBuilder<EmbeddingStateStore> builder(String name, StoreConfig config) {
        return new Builder(Stores.persistentKeyValueStore(name), config);
    }

    /** A builder over another bytes store supplier (e.g. {@code Stores.inMemoryKeyValueStore}). */
    public static StoreBuilder<EmbeddingStateStore> builder(KeyValueBytesStoreSupplier supplier, StoreConfig config) {
        return new Builder(supplier, config);
    }

    private static final class Builder implements StoreBuilder<EmbeddingStateStore> {
        private final KeyValueBytesStoreSupplier supplier;
        private final StoreConfig config;
        private boolean logging = true;
        private Map<String, String> logConfig = new HashMap<>();

        Builder(KeyValueBytesStoreSupplier supplier, StoreConfig config) {
            this.supplier = supplier;
            this.config = config;
        }

        @Override
        public StoreBuilder<EmbeddingStateStore> withCachingEnabled() {
            return this; // the hot tier is the cache
        }

        @Override
        public StoreBuilder<EmbeddingStateStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<EmbeddingStateStore> withLoggingEnabled(Map<String, String> config) {
            logging = true;
            logConfig = new HashMap<>(config);
            return this;
        }

        @Override
        public StoreBuilder<EmbeddingStateStore> withLoggingDisabled() {
            logging = false;
            logConfig = new HashMap<>();
            return this;
        }

        @Override
        public EmbeddingStateStore build() {
            StoreBuilder<KeyValueStore<Bytes, byte[]>> kv = Stores.keyValueStoreBuilder(supplier, Serdes.Bytes(),
                    Serdes.ByteArray()).withCachingDisabled();
            kv = logging ? kv.withLoggingEnabled(logConfig) : kv.withLoggingDisabled();
            return new EmbeddingStateStore(kv.build(), config);
        }

        @Override
        public Map<String, String> logConfig() {
            return logConfig;
        }

        @Override
        public boolean loggingEnabled() {
            return logging;
        }

        @Override
        public String name() {
            return supplier.name();
        }
    }
}
