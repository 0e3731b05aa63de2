package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.PolicySettings;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.assertj.core.api.Assertions;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Shared hashed rows: what reads them, what trains them, and that a step applies each row's summed gradient once. */
class SharedRowsTest {

    private static final StoreConfig CONFIG = StoreConfig.defaults(ChunkLayout.of(2, 2)).withInit(
            ChunkInit.RANDOM, 0.05f);

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
        ByteBuffer x = ByteBuffer.wrap(a.exportState());
        ByteBuffer y = ByteBuffer.wrap(b.exportState());
        for (int i = 0; i < 3; i++) {
            assertThat(y.getInt()).as("format, H, D").isEqualTo(x.getInt());
        }
        assertThat(y.getLong()).as("steps applied").isEqualTo(x.getLong()).isEqualTo(1);
        for (int i = 0; i < 7 * 5; i++) { // binary16 values, rounded stochastically: within two units of 2^-10
            float vx = Quantizer.halfToFloat(x.getShort() & 0xffff);
            float vy = Quantizer.halfToFloat(y.getShort() & 0xffff);
            assertThat(vy).isCloseTo(vx, Offset.offset(Math.max(1e-4f, Math.abs(vx) * 0x1p-9f)));
        }
        while (x.hasRemaining()) {
            assertThat(y.getFloat()).isCloseTo(x.getFloat(), Offset.offset(1e-4f));
        }
        assertThat(a.exportState()).isNotEqualTo(new SharedRows(7, CONFIG).exportState());
        assertThat(a.bytes()).isEqualTo(7 * PolicySettings.sharedRowBytes(4));
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

    @Test
    void shouldStartAnAllocatedChunkFromItsGatedSharedRow() {
        EmbeddingStore store = EmbeddingStore.inMemory("s", CONFIG);
        SharedRows shared = new SharedRows(8, 2, CONFIG);
        store.attachShared(shared);
        store.scatter(new long[] {42, 43}, new int[] {1, 1}, 2, new float[] {0.5f, -0.5f, 1f, 1f, 0.1f,
            0.5f, -0.5f, 1f, 1f, 0.1f}, 0);
        store.pruneChunk(42, 1);
        store.pruneChunk(43, 1);
        store.allocateChunkFromShared(42, 1, 1, ChunkInit.ZERO);
        store.allocateChunk(43, 1, ChunkInit.ZERO);
        float[] out = new float[10];
        store.gather(new long[] {42, 43}, 2, out);
        float[] tail = new float[2];
        shared.read(42, 2, 2, tail, 0);
        float g = shared.gate(1);
        assertThat(tail[0] * g).as("the shared row is not zero").isNotZero();
        assertThat(new float[] {out[2], out[3]}).as("what it read while pruned: the gated shared row")
                .containsExactly(tail[0] * g, tail[1] * g);
        assertThat(new float[] {out[7], out[8]}).as("the plain allocation: zeros").containsExactly(0f, 0f);
    }

    @Test
    void shouldKeepEveryKeysRowWhenDoublingAndAverageWhenHalving() {
        SharedRows a = new SharedRows(8, 2, CONFIG);
        float[] g = {0.5f, -0.25f, 1f, 0.75f, 0.1f};
        for (long key = 0; key < 50; key++) {
            a.accumulate(key, g, 0, 0, 4, true);
        }
        a.apply();
        float[][] before = new float[200][4];
        for (int key = 0; key < 200; key++) {
            a.read(key, 0, 4, before[key], 0);
        }
        a.resize(16);
        assertThat(a.rows()).isEqualTo(16);
        assertThat(a.bytes()).isEqualTo(16 * PolicySettings.sharedRowBytes(4) + 2 * SharedRows.GATE_BYTES);
        float[] now = new float[4];
        for (int key = 0; key < 200; key++) {
            a.read(key, 0, 4, now, 0);
            assertThat(now).as("key %d reads what it read before the doubling", key).isEqualTo(before[key]);
        }
        a.resize(8); // rows r and r + 8 are both copies of row r: their average is row r again
        for (int key = 0; key < 200; key++) {
            a.read(key, 0, 4, now, 0);
            assertThat(now).isEqualTo(before[key]);
        }
        a.resize(4); // slot s averages slots s and s + 4 of the 8
        SharedRows fresh = new SharedRows(8, 2, CONFIG);
        for (long key = 0; key < 50; key++) {
            fresh.accumulate(key, g, 0, 0, 4, true);
        }
        fresh.apply();
        float[][] bySlot = new float[8][];
        for (int key = 0; key < 200; key++) {
            float[] v = new float[4];
            fresh.read(key, 0, 4, v, 0);
            bySlot[fresh.slot(key)] = v;
        }
        for (int key = 0; key < 200; key++) {
            int slot = a.slot(key);
            assertThat(fresh.slot(key) % 4).isEqualTo(slot);
            a.read(key, 0, 4, now, 0);
            for (int j = 0; j < 4; j++) {
                float mean = 0.5f * (bySlot[slot][j] + bySlot[slot + 4][j]);
                assertThat(now[j]).as("the mean, rounded to binary16")
                        .isCloseTo(mean, Offset.offset(Math.abs(mean) * 0x1p-10f + 1e-7f));
            }
        }
        Assertions.assertThatThrownBy(() -> a.resize(3)).hasMessageContaining("power of two");
    }

    @Test
    void shouldRestoreGatesTrafficAndAResizedTable() {
        SharedRows a = new SharedRows(8, 3, CONFIG);
        a.accumulateGate(1, 0.4f);
        a.countAccesses(30, 70);
        a.apply();
        assertThat(a.gate(1)).isLessThan(SharedRows.INITIAL_GATE);
        assertThat(a.gate(0)).isEqualTo(SharedRows.INITIAL_GATE);
        assertThat(a.takeServedShare()).isEqualTo(0.3);
        a.countAccesses(10, 10);
        a.resize(16);
        SharedRows b = new SharedRows(8, 3, CONFIG);
        b.importState(a.exportState());
        assertThat(b.rows()).isEqualTo(16);
        assertThat(b.exportState()).isEqualTo(a.exportState());
        assertThat(b.takeServedShare()).as("smoothed: half the last window, half the one before").isEqualTo(0.4);
        Assertions.assertThatThrownBy(() -> new SharedRows(8, 2, CONFIG).importState(a.exportState()))
                .hasMessageContaining("gate 3 fields");
    }

    @Test
    void shouldTellWhichRowsChangedSinceTheyWereLastPublished() {
        SharedRows s = new SharedRows(64, 2, CONFIG);
        assertThat(s.changedIn(0, 64)).as("a new table: every row").isTrue();
        s.clearChanged();
        assertThat(s.changedIn(0, 64)).isFalse();
        long key = 12345;
        int row = s.slot(key);
        assertThat(row).isEqualTo(SharedRows.slot(key, 64));
        float[] g = {0.1f, -0.2f, 0.3f, 0.4f, 0.5f};
        s.accumulate(key, g, 0, 0, 4, true);
        assertThat(s.changedIn(row, row + 1)).as("not applied yet").isFalse();
        s.apply();
        assertThat(s.changedIn(row, row + 1)).isTrue();
        assertThat(s.changedIn(0, row)).isFalse();
        assertThat(s.changedIn(row + 1, 64)).isFalse();
        float[] copy = new float[5];
        s.copyRows(row, 1, copy, 0);
        float[] read = new float[5];
        s.read(key, 0, 4, read, 0);
        read[4] = s.linear(key);
        assertThat(copy).containsExactly(read);
        s.clearChanged();
        s.resize(32);
        assertThat(s.changedIn(31, 32)).as("a resized table: every row").isTrue();
        s.clearChanged();
        s.importState(s.exportState());
        assertThat(s.changedIn(0, 1)).as("an imported table: every row").isTrue();
    }
}
