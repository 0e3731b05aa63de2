package io.inflight.store.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.ColdTier;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.StoreConfig;
import io.inflight.store.StoreException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.FloatDeserializer;
import org.apache.kafka.common.serialization.FloatSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** The state-store wiring under {@link TopologyTestDriver}: commits flush the hot tier into the logged store. */
class EmbeddingStateStoreTest {

    static final String STORE = "emb";
    static final StoreConfig CONFIG = StoreConfig.defaults(ChunkLayout.of(4, 4)).withPrecision(Precision.INT8).withHotCapacity(4);

    /** Scatters a gradient of {@code value} on every dimension of row {@code key}. */
    static final class Trainer implements Processor<Long, Float, Void, Void> {
        private EmbeddingStore rows;
        private long step;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            rows = context.<EmbeddingStateStore>getStateStore(STORE).store();
        }

        @Override
        public void process(Record<Long, Float> record) {
            float[] g = new float[rows.stride()];
            Arrays.fill(g, record.value());
            rows.scatter(new long[] {record.key()}, null, 1, g, step++);
        }
    }

    static Topology topology() {
        Topology t = new Topology();
        t.addSource("in", new LongDeserializer(), new FloatDeserializer(), "grads");
        t.addProcessor("trainer", Trainer::new, "in");
        t.addStateStore(EmbeddingStores.builder(STORE, CONFIG), "trainer");
        return t;
    }

    static Properties props() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "store-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, Path.of("target", "streams-state").toAbsolutePath().toString());
        return p;
    }

    @Test
    void shouldWriteDirtyRowsIntoTheLoggedStoreAtEveryCommit() {
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(), props())) {
            TestInputTopic<Long, Float> in = driver.createInputTopic("grads", new LongSerializer(), new FloatSerializer());
            for (long k = 0; k < 10; k++) {
                in.pipeInput(k, 0.1f * (k - 5));
            }
            EmbeddingStateStore state = (EmbeddingStateStore) driver.getStateStore(STORE);
            EmbeddingStore rows = state.store();
            float[] before = new float[10 * rows.stride()];
            long[] keys = new long[10];
            for (int k = 0; k < 10; k++) {
                keys[k] = k;
            }
            rows.gather(keys, 10, before);
            // every row, dirty in the hot tier or not, is in the logged store after the driver's commit
            assertThat(state.inner().approximateNumEntries()).isGreaterThanOrEqualTo(10);
            rows.reset(); // drop the hot tier: what is left is what was committed
            float[] after = new float[10 * rows.stride()];
            rows.gather(keys, 10, after);
            assertThat(after).isEqualTo(before);
            assertThat(rows.rowCount()).isEqualTo(10);
            assertThat(rows.changedCount()).isEqualTo(10);
        }
    }

    @Test
    void shouldNameStoreAndKeyForACorruptOrMisplacedRecord() {
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(), props())) {
            TestInputTopic<Long, Float> in = driver.createInputTopic("grads", new LongSerializer(), new FloatSerializer());
            in.pipeInput(3L, 0.5f);
            EmbeddingStateStore state = (EmbeddingStateStore) driver.getStateStore(STORE);
            state.inner().put(Bytes.wrap(ColdTier.rowKey(3L)), new byte[] {1, 2, 3});
            state.store().reset();
            assertThatThrownBy(() -> state.store().gather(new long[] {3}, 1, new float[9]))
                    .isInstanceOf(StoreException.class).hasMessageContaining("store emb").hasMessageContaining("row key 3");
            state.inner().delete(Bytes.wrap(ColdTier.rowKey(3L)));
            state.inner().put(Bytes.wrap(new byte[] {9, 9, 9}), new byte[] {1});
            state.store().reset();
            assertThatThrownBy(() -> state.store().rowCount())
                    .isInstanceOf(StoreException.class).hasMessageContaining("emb").hasMessageContaining("3 bytes");
        }
    }
}
