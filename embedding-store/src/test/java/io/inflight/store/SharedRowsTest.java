package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.PolicySettings;
import java.nio.ByteBuffer;
import java.util.Arrays;
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
        float[] vx = new float[5];
        float[] vy = new float[5];
        for (int row = 0; row < 7; row++) { // int8 values rounded stochastically: within two units of the row's scale
            a.copyRows(row, 1, vx, 0);
            b.copyRows(row, 1, vy, 0);
            float unit = Math.max(max(vx, 4), max(vy, 4)) / 127;
            for (int j = 0; j < 4; j++) {
                assertThat(vy[j]).isCloseTo(vx[j], Offset.offset(2 * unit * 1.01f));
            }
            assertThat(vy[4]).as("the binary16 linear weight").isCloseTo(vx[4],
                    Offset.offset(Math.max(1e-4f, Math.abs(vx[4]) * 0x1p-9f)));
        }
        x.position(x.limit() - 7 * 2 * 2);
        y.position(y.limit() - 7 * 2 * 2);
        while (x.hasRemaining()) { // 16-bit accumulators: 8 mantissa bits
            float ax = Quantizer.acc16ToFloat(x.getShort());
            assertThat(Quantizer.acc16ToFloat(y.getShort())).isCloseTo(ax, Offset.offset(ax * 0x1p-7f + 1e-7f));
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
                float top = Math.max(Math.max(Math.abs(0.5f * (bySlot[slot][0] + bySlot[slot + 4][0])),
                        Math.abs(0.5f * (bySlot[slot][1] + bySlot[slot + 4][1]))),
                        Math.max(Math.abs(0.5f * (bySlot[slot][2] + bySlot[slot + 4][2])),
                                Math.abs(0.5f * (bySlot[slot][3] + bySlot[slot + 4][3]))));
                assertThat(now[j]).as("the mean, rounded to nearest: within half a unit of the row's scale")
                        .isCloseTo(mean, Offset.offset(0.5f * top / 127 * 1.01f + 1e-7f));
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

    @Test
    void shouldReplayEveryBitAndRoundEachWriteWithinOneUnitOfTheRowsScale() {
        SharedRows a = new SharedRows(16, 2, CONFIG);
        SharedRows b = new SharedRows(16, 2, CONFIG);
        SharedRows other = new SharedRows(16, 2, CONFIG.withSeed(CONFIG.seed() + 1));
        SplittableRandom rnd = new SplittableRandom(7);
        float[] g = new float[5];
        float[] before = new float[5];
        float[] after = new float[5];
        float[] exact = new float[4];
        for (int step = 0; step < 40; step++) {
            long key = rnd.nextLong(1000);
            float s2 = 0f;
            for (int j = 0; j < 5; j++) {
                g[j] = (float) rnd.nextGaussian() * 0.3f;
                s2 += j < 4 ? g[j] * g[j] : 0f;
            }
            int row = a.slot(key);
            a.copyRows(row, 1, before, 0);
            float acc = accumulator(a, row);
            for (SharedRows t : new SharedRows[] {a, b, other}) {
                t.accumulate(key, g, 0, 0, 4, true);
                t.apply();
            }
            a.copyRows(row, 1, after, 0);
            // the update in fp32 (no L2 in CONFIG), then int8 at max-abs / 127 rounded up to binary16:
            // stochastic rounding lands on one of the two codes around each value, within one unit
            float rate = CONFIG.learningRate() / ((float) Math.sqrt(acc + s2 / 4) + CONFIG.adagradEps());
            for (int j = 0; j < 4; j++) {
                exact[j] = before[j] - rate * g[j];
            }
            float unit = max(exact, 4) / 127 * (1 + 0x1p-9f);
            for (int j = 0; j < 4; j++) {
                assertThat(after[j]).as("step %d dimension %d", step, j).isCloseTo(exact[j], Offset.offset(unit));
            }
            assertThat(accumulator(a, row)).as("the 16-bit accumulator: 8 mantissa bits")
                    .isCloseTo(acc + s2 / 4, Offset.offset((acc + s2 / 4) * 0x1p-7f));
        }
        assertThat(b.exportState()).as("a replay: the same bytes").isEqualTo(a.exportState());
        assertThat(other.exportState()).as("another seed rounds otherwise").isNotEqualTo(a.exportState());
        SharedRows c = new SharedRows(16, 2, CONFIG);
        c.importState(a.exportState());
        assertThat(c.exportState()).isEqualTo(a.exportState());
    }

    @Test
    void shouldRoundStochasticallyWithoutBias() {
        // a large first step on dimension 1 grows every row's scale and accumulator; a second, small
        // one on dimension 0 moves values by about a tenth of a unit of the scale: rounded to nearest
        // most would stay put, rounded stochastically the mean move is the mean step
        int rows = 16384;
        SharedRows s = new SharedRows(rows, CONFIG);
        long[] keyOfRow = new long[rows];
        Arrays.fill(keyOfRow, -1);
        int found = 0;
        for (long key = 0; found < rows; key++) {
            int r = s.slot(key);
            if (keyOfRow[r] < 0) {
                keyOfRow[r] = key;
                found++;
            }
        }
        float[] g = new float[5];
        g[1] = 1000f;
        stepEveryRow(s, keyOfRow, g);
        float[] before = new float[rows * 5];
        s.copyRows(0, rows, before, 0);
        float[] acc = new float[rows];
        for (int r = 0; r < rows; r++) {
            acc[r] = accumulator(s, r);
        }
        g[1] = 0f;
        g[0] = 1f;
        stepEveryRow(s, keyOfRow, g);
        float[] after = new float[rows * 5];
        s.copyRows(0, rows, after, 0);
        double moved = 0;
        double expected = 0;
        double units = 0;
        for (int r = 0; r < rows; r++) {
            expected += CONFIG.learningRate() / ((float) Math.sqrt(acc[r] + 0.25f) + CONFIG.adagradEps());
            moved += before[r * 5] - after[r * 5];
            units += max(Arrays.copyOfRange(before, r * 5, r * 5 + 4), 4) / 127;
        }
        assertThat(expected / units).as("the step in units of the scale").isBetween(0.02, 0.3);
        assertThat(moved / rows).as("mean move over %d rows", rows).isCloseTo(expected / rows,
                Offset.offset(0.15 * expected / rows));
    }

    @Test
    void shouldRefuseTheBinary16Format() {
        byte[] old = ByteBuffer.allocate(20 + 4 * (2 * 5 + 8)).putInt(-2).putInt(4).putInt(4).array();
        Assertions.assertThatThrownBy(() -> new SharedRows(4, CONFIG).importState(old))
                .hasMessageContaining("another format").hasMessageContaining("inflight.application.id");
    }

    /** Row {@code row}'s embedding Adagrad accumulator, read from the exported state. */
    /** One step in which every row gets the gradient {@code g} (its four values) through the key that reads it. */
    private static void stepEveryRow(SharedRows s, long[] keyOfRow, float[] g) {
        for (long key : keyOfRow) {
            s.accumulate(key, g, 0, 0, 4, false);
        }
        s.apply();
    }

    private static float accumulator(SharedRows t, int row) {
        ByteBuffer b = ByteBuffer.wrap(t.exportState());
        int rows = t.rows();
        return Quantizer.acc16ToFloat(b.getShort(20 + rows * 4 + rows * 2 * 2 + row * 2 * 2));
    }

    private static float max(float[] v, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(v[i]));
        }
        return m;
    }
}
