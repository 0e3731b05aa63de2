package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Shared hashed rows: what reads them, what trains them, and that a step applies each row's summed gradient once. */
class SharedRowsTest {

    private static final StoreConfig CONFIG = StoreConfig.defaults(ChunkLayout.of(2, 2)).withInit(
            io.inflight.policies.EmbeddingTable.ChunkInit.RANDOM, 0.05f);

    @Test
    void shouldApplyAStepsSummedGradientsOncePerRow() {
        SharedRows a = new SharedRows(7, CONFIG);
        SharedRows b = new SharedRows(7, CONFIG);
        float[] g = new float[5 * 40];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < g.length; i++) {
            g[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < 40; i++) {
            a.accumulate(1000 + i, g, i * 5, 0, 4, true);
        }
        for (int i = 39; i >= 0; i--) {
            b.accumulate(1000 + i, g, i * 5, 0, 4, true);
        }
        SharedRows c = new SharedRows(7, CONFIG);
        for (int i = 0; i < 40; i++) {
            c.accumulate(1000 + i, g, i * 5, 0, 4, true);
        }
        a.apply();
        b.apply();
        c.apply();
        assertThat(c.exportState()).as("the same keys in the same order: the same bits").isEqualTo(a.exportState());
        // another order sums the same gradients in another float order: equal up to rounding
        java.nio.ByteBuffer x = java.nio.ByteBuffer.wrap(a.exportState());
        java.nio.ByteBuffer y = java.nio.ByteBuffer.wrap(b.exportState());
        assertThat(y.getInt()).isEqualTo(x.getInt());
        assertThat(y.getInt()).isEqualTo(x.getInt());
        while (x.hasRemaining()) {
            assertThat(y.getFloat()).isCloseTo(x.getFloat(), org.assertj.core.data.Offset.offset(1e-4f));
        }
        assertThat(a.exportState()).isNotEqualTo(new SharedRows(7, CONFIG).exportState());
        assertThat(a.bytes()).isEqualTo(7 * io.inflight.policies.PolicySettings.sharedRowBytes(4));
        for (long key = 0; key < 1000; key++) {
            assertThat(a.slot(key)).isBetween(0, 6);
        }
    }

    @Test
    void shouldBeReadByMissingRowsAndPrunedChunksAndTrainedByThem() {
        EmbeddingStore store = EmbeddingStore.inMemory("s", CONFIG);
        SharedRows shared = new SharedRows(3, CONFIG);
        store.attachShared(shared);
        float[] out = new float[5];
        store.gather(new long[] {42}, 1, out);
        float[] expected = new float[5];
        shared.read(42, 0, 4, expected, 0);
        expected[4] = shared.linear(42);
        assertThat(out).as("a row that is not stored reads its shared row").containsExactly(expected);
        assertThat(store.storedBytes()).isEqualTo(shared.bytes());

        float[] grad = {0.5f, -0.5f, 1f, 1f, 0.1f};
        store.scatter(new long[] {42}, new int[] {1}, 1, grad, 0);
        store.pruneChunk(42, 1);
        byte[] before = shared.exportState();
        store.gather(new long[] {42}, 1, out);
        float[] tail = new float[2];
        shared.read(42, 2, 2, tail, 0);
        assertThat(new float[] {out[2], out[3]}).as("a pruned chunk reads the shared row's dimensions").containsExactly(tail);
        store.scatter(new long[] {42}, new int[] {1}, 1, grad, 1);
        assertThat(shared.exportState()).as("its gradient trains the shared row").isNotEqualTo(before);
        store.scatterShared(7, grad, 0);
        byte[] mid = shared.exportState();
        store.scatter(new long[0], new int[0], 0, grad, 2);
        assertThat(shared.exportState()).as("a refused feature's gradient is applied with the next scatter")
                .isNotEqualTo(mid);
    }
}
