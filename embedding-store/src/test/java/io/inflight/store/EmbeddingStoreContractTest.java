package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Behaviour every {@link EmbeddingStore} configuration must show, whatever its tiers. */
abstract class EmbeddingStoreContractTest {

    static final ChunkLayout LAYOUT = ChunkLayout.of(2, 2, 4, 8);
    static final int D = 16;

    /** A fresh, empty store with this configuration. */
    abstract EmbeddingStore newStore(StoreConfig config);

    /** Whether rows survive {@link EmbeddingStore#flush} then {@link EmbeddingStore#reset}. */
    abstract boolean durable();

    static StoreConfig config() {
        return StoreConfig.defaults(LAYOUT).withOptimizer(0.1f, 0f, 1e-8f);
    }

    static float[] grads(int rows, long seed) {
        float[] g = new float[rows * (D + 1)];
        for (int i = 0; i < g.length; i++) {
            g[i] = (CounterRng.unit(CounterRng.bits(seed, i, 0)) - 0.5f);
        }
        return g;
    }

    /** Snapshot as text with exact float bits, for bit-identical comparisons. */
    static List<String> dump(EmbeddingStore s) {
        List<String> out = new ArrayList<>();
        s.snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                StringBuilder b = new StringBuilder().append(key).append(' ').append(mask);
                for (Precision p : precisions) {
                    b.append(' ').append(p);
                }
                for (float v : values) {
                    b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(v)));
                }
                out.add(b.append(' ').append(Integer.toHexString(Float.floatToRawIntBits(linear))).toString());
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("snapshot never reports evictions");
            }
        });
        return out;
    }

    /** The floats of a {@link #dump} line from column {@code from}. */
    private static float[] floats(String[] line, int from) {
        float[] out = new float[line.length - from];
        for (int j = 0; j < out.length; j++) {
            out[j] = Float.intBitsToFloat(Integer.parseUnsignedInt(line[from + j], 16));
        }
        return out;
    }

    /** A fixed workload of 40 steps over 300 keys, with policy operations in between. */
    @Test
    void shouldCarryARowWithItsWholeStateToAnotherStoreAndTrainOnIdentically() {
        EmbeddingStore a = newStore(config());
        workload(a);
        List<Long> keys = new ArrayList<>();
        a.forEachRow(r -> keys.add(r.key()));
        EmbeddingStore b = EmbeddingStore.inMemory("copy", config());
        for (long k : keys) {
            b.putEncodedRow(k, a.encodedRow(k));
        }
        assertThat(b.rowCount()).isEqualTo(a.rowCount()).isPositive();
        assertThat(b.digest()).isEqualTo(a.digest());
        // both go on from there identically (optimizer state, utilities, counters, rounding all carried)
        long[] some = keys.stream().mapToLong(Long::longValue).sorted().limit(5).toArray();
        float[] g = new float[some.length * a.stride()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (i % 7 - 3) * 0.01f;
        }
        a.scatter(some, null, some.length, g, 10_000);
        b.scatter(some, null, some.length, g, 10_000);
        assertThat(b.digest()).isEqualTo(a.digest());
        // a row put again replaces the one held; a key without a row has no encoded form
        b.putEncodedRow(some[0], a.encodedRow(some[0]));
        assertThat(b.rowCount()).isEqualTo(a.rowCount());
        assertThat(b.storedBytes()).isEqualTo(a.storedBytes());
        long absent = 0x7EADBEEFL;
        assertThat(keys).doesNotContain(absent);
        assertThat(a.encodedRow(absent)).isNull();
    }

    static void workload(EmbeddingStore s) {
        long[] keys = new long[64];
        for (int step = 0; step < 40; step++) {
            for (int i = 0; i < keys.length; i++) {
                keys[i] = (CounterRng.bits(5, step, i) >>> 1) % 300 - 150; // negative keys too
            }
            float[] out = new float[keys.length * (D + 1)];
            s.gather(keys, keys.length, out);
            s.scatter(keys, null, keys.length, grads(keys.length, step), step);
            if (step % 10 == 3) {
                s.setPrecision(keys[0], 3, Precision.INT4);
                s.setPrecision(keys[1], 0, Precision.BF16);
                s.pruneChunk(keys[2], 2);
                s.evictRow(keys[3]);
            }
            if (step % 10 == 7) {
                s.allocateChunk(keys[2], 2, ChunkInit.RANDOM);
                s.setPrecision(keys[4], 1, Precision.FP16);
            }
        }
    }

    @Test
    void shouldReadAnUnknownRowAsItsInitialisation() {
        EmbeddingStore s = newStore(config());
        float[] out = new float[2 * (D + 1)];
        Arrays.fill(out, 9f);
        s.gather(new long[] {1, 2}, 2, out);
        assertThat(out).containsOnly(0f);
        assertThat(s.rowCount()).isZero();

        EmbeddingStore r = newStore(config().withInit(ChunkInit.RANDOM, 0.05f));
        float[] a = new float[D + 1];
        float[] b = new float[D + 1];
        r.gather(new long[] {77}, 1, a);
        r.gather(new long[] {77}, 1, b);
        assertThat(a).isEqualTo(b);
        for (int i = 0; i < D; i++) {
            assertThat(Math.abs(a[i])).isLessThanOrEqualTo(0.05f);
        }
        assertThat(a[D]).isZero();
        assertThat(a).containsAnyOf(a[0]).matches(v -> v[0] != v[1]);
    }

    @Test
    void shouldStartARowItCreatesFromTheGivenInitialValuesAndLeaveStoredRowsAlone() {
        EmbeddingStore s = newStore(config().withInit(ChunkInit.RANDOM, 0.05f));
        s.scatter(new long[] {1}, null, 1, grads(1, 3), 0); // row 1 exists before
        float[] stored = new float[D + 1];
        s.gather(new long[] {1}, 1, stored);
        float[] initial = new float[2 * (D + 1)];
        for (int i = 0; i < initial.length; i++) {
            initial[i] = 0.25f + i / 64f;
        }
        float[] zero = new float[2 * (D + 1)];
        s.scatter(new long[] {1, 2}, null, 2, zero, 1, initial);
        float[] out = new float[2 * (D + 1)];
        s.gather(new long[] {1, 2}, 2, out);
        assertThat(Arrays.copyOfRange(out, 0, D + 1)).as("a stored row ignores the initial values").containsExactly(stored);
        // a zero gradient and no L2 leave the new row (values and linear weight) at its initial values
        assertThat(Arrays.copyOfRange(out, D + 1, 2 * (D + 1)))
                .containsExactly(Arrays.copyOfRange(initial, D + 1, 2 * (D + 1)));

        float[] g = grads(1, 9);
        for (boolean rowAdagrad : new boolean[] {false, true}) {
            EmbeddingStore a = newStore(config().withRowAdagrad(rowAdagrad));
            EmbeddingStore b = newStore(config().withRowAdagrad(rowAdagrad));
            a.scatter(new long[] {5}, null, 1, g, 0, Arrays.copyOfRange(initial, 0, D + 1));
            b.scatter(new long[] {5}, null, 1, g, 0);
            float[] ra = new float[D + 1];
            float[] rb = new float[D + 1];
            a.gather(new long[] {5}, 1, ra);
            b.gather(new long[] {5}, 1, rb);
            for (int i = 0; i < D + 1; i++) { // the same update, from the initial values instead of zeros
                assertThat(ra[i] - rb[i]).as("row-wise %s, dimension %d", rowAdagrad, i).isCloseTo(initial[i], within(1e-6f));
            }
        }
    }

    @Test
    void shouldCreateRowsWithTheNewRowMaskAndReportMasksAndAccesses() {
        EmbeddingStore s = newStore(config().withInit(ChunkInit.RANDOM, 0.05f));
        s.newRowMask(0b0101); // chunks 0 (dims 0-1) and 2 (dims 4-7)
        float[] out = new float[2 * (D + 1)];
        int[] masks = {7, 7};
        long[] accesses = {7, 7};
        s.gather(new long[] {5, 6}, 2, out, masks, accesses);
        assertThat(masks).containsExactly(-1, -1);
        assertThat(accesses).containsExactly(0, 0);
        assertThat(out[0]).isNotZero(); // chunk 0: its initialisation
        assertThat(Arrays.copyOfRange(out, 2, 4)).containsOnly(0f); // chunk 1: not in the mask
        assertThat(Arrays.copyOfRange(out, 8, 16)).containsOnly(0f); // chunk 3 neither
        s.scatter(new long[] {5}, new int[] {3}, 1, grads(1, 1), 1);
        s.gather(new long[] {5, 6}, 2, out, masks, accesses);
        assertThat(masks).containsExactly(0b0101, -1);
        assertThat(accesses).containsExactly(3, 0);
        assertThat(Arrays.copyOfRange(out, 2, 4)).containsOnly(0f); // the created row has chunk 1 pruned
        assertThat(s.storedBytes()).isEqualTo(s.rowBytes(0b0101, new Precision[] {Precision.FP32, Precision.FP32,
                Precision.FP32, Precision.FP32}));
        assertThatThrownBy(() -> s.newRowMask(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mask");
        assertThatThrownBy(() -> s.newRowMask(0b10000)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldApplyOneAdagradAccumulatorPerRowWhenConfigured() {
        EmbeddingStore s = newStore(config().withOptimizer(0.1f, 0.01f, 1e-8f).withInit(ChunkInit.RANDOM, 0.05f)
                .withRowAdagrad(true));
        long[] key = {42};
        float[] g = grads(1, 3);
        float[][] w = oneStep(s, key, g);
        assertAdagradStep(w[0], w[1], g, 0, D); // one accumulator over the whole row
        // 2 bytes of accumulator per row instead of per chunk
        Precision[] fp32 = {Precision.FP32, Precision.FP32, Precision.FP32, Precision.FP32};
        EmbeddingStore chunkWise = newStore(config());
        chunkWise.scatter(key, null, 1, g, 1);
        // D = 16 in 4 chunks at fp32: 64 value bytes; metadata 22 + 4 x 5 + 2 = 44 (below FIITED's 3K/D of 64, 48), 50 chunk-wise
        assertThat(chunkWise.storedBytes()).isEqualTo(64 + 50);
        assertThat(s.storedBytes()).isEqualTo(chunkWise.storedBytes() - 2 * (LAYOUT.chunks() - 1))
                .isEqualTo(s.rowBytes(LAYOUT.fullMask(), fp32)).isEqualTo(64 + 44);
    }

    @Test
    void shouldReplayBitIdenticallyWithOneAccumulatorPerRow() {
        StoreConfig cfg = config().withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f).withRowAdagrad(true);
        EmbeddingStore a = newStore(cfg);
        EmbeddingStore b = newStore(cfg);
        workload(a);
        workload(b);
        assertThat(dump(a)).isEqualTo(dump(b)).isNotEmpty();
        EmbeddingStore ref = EmbeddingStore.inMemory("ref", cfg);
        workload(ref);
        assertThat(dump(a)).isEqualTo(dump(ref));
        assertThat(a.storedBytes()).isEqualTo(ref.storedBytes());
        EmbeddingStore chunkWise = EmbeddingStore.inMemory("chunks", cfg.withRowAdagrad(false));
        workload(chunkWise);
        assertThat(dump(a)).isNotEqualTo(dump(chunkWise));
    }

    /** Gathers row {@code key}, scatters {@code g} at step 1 and gathers it again: {before, after}. */
    private static float[][] oneStep(EmbeddingStore s, long[] key, float[] g) {
        float[] w0 = new float[D + 1];
        s.gather(key, 1, w0);
        s.scatter(key, null, 1, g, 1);
        float[] w1 = new float[D + 1];
        s.gather(key, 1, w1);
        return new float[][] {w0, w1};
    }

    /** Dimensions off .. off + n moved by one Adagrad step (lr 0.1, L2 0.01) with one accumulator over them. */
    private static void assertAdagradStep(float[] w0, float[] w1, float[] g, int off, int n) {
        double acc = 0;
        for (int j = 0; j < n; j++) {
            double gj = g[off + j] + 0.01 * w0[off + j];
            acc += gj * gj;
        }
        acc /= n;
        for (int j = 0; j < n; j++) {
            double gj = g[off + j] + 0.01 * w0[off + j];
            assertThat(w1[off + j]).isCloseTo((float) (w0[off + j] - 0.1 * gj / Math.sqrt(acc)), within(1e-6f));
        }
    }

    @Test
    void shouldApplyRowWiseAdagradAtFullPrecision() {
        EmbeddingStore s = newStore(config().withOptimizer(0.1f, 0.01f, 1e-8f).withInit(ChunkInit.RANDOM, 0.05f));
        long[] key = {42};
        float[] g = grads(1, 3);
        float[][] w = oneStep(s, key, g);
        float[] w0 = w[0];
        float[] w1 = w[1];
        for (int c = 0; c < LAYOUT.chunks(); c++) {
            assertAdagradStep(w0, w1, g, LAYOUT.offset(c), LAYOUT.width(c)); // one accumulator per chunk
        }
        double lg = g[D];
        assertThat(w1[D]).isCloseTo((float) (-0.1 * lg / Math.abs(lg)), within(1e-6f));
    }

    @Test
    void shouldUpdateUtilitiesAccessesAndLastStep() {
        StoreConfig cfg = config().withUtility(new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.5f));
        EmbeddingStore s = newStore(cfg);
        long[] key = {7};
        float[] g = grads(1, 1);
        float[] norm = new float[LAYOUT.chunks()];
        for (int c = 0; c < norm.length; c++) {
            double n = 0;
            for (int j = 0; j < LAYOUT.width(c); j++) {
                n += g[LAYOUT.offset(c) + j] * g[LAYOUT.offset(c) + j];
            }
            norm[c] = (float) Math.sqrt(n);
        }
        s.scatter(key, new int[] {3}, 1, g, 10);
        float[] first = utilities(s);
        for (int c = 0; c < first.length; c++) {
            assertOneOfTheTwoCodesAround(first[c], 3 * norm[c]);
        }
        s.scatter(key, new int[] {2}, 1, g, 11);
        s.forEachRow(row -> {
            assertThat(row.key()).isEqualTo(7);
            assertThat(row.accesses()).isEqualTo(5);
            assertThat(row.lastAccessStep()).isEqualTo(11);
        });
        // u = 0.5 u + a g from the stored u, stored as an 8-bit code, stochastically rounded
        float[] before = utilities(s);
        for (int c = 0; c < before.length; c++) {
            assertOneOfTheTwoCodesAround(before[c], 0.5 * first[c] + 2 * norm[c]);
        }
        // three steps later: two untouched steps decay first (0.5^2), then the step's own decay and signal
        s.scatter(key, new int[] {1}, 1, g, 14);
        float[] after = utilities(s);
        for (int c = 0; c < after.length; c++) {
            assertOneOfTheTwoCodesAround(after[c], 0.5 * 0.25 * before[c] + norm[c]);
        }
    }

    private static float[] utilities(EmbeddingStore s) {
        float[] u = new float[LAYOUT.chunks()];
        s.forEachRow(row -> {
            for (int c = 0; c < u.length; c++) {
                u[c] = row.utility(c);
            }
        });
        return u;
    }

    /** {@code actual} is the 8-bit utility code just below {@code exact} or the one just above it. */
    private static void assertOneOfTheTwoCodesAround(float actual, double exact) {
        int q = 0;
        while (q < 255 && Quantizer.util8ToFloat(q + 1) <= exact) {
            q++;
        }
        assertThat(actual).as("utility for %s", exact).isIn(Quantizer.util8ToFloat(q), Quantizer.util8ToFloat(Math.min(255, q + 1)));
    }

    @Test
    void shouldReplayBitIdentically() {
        EmbeddingStore a = newStore(config().withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f));
        EmbeddingStore b = newStore(config().withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f));
        workload(a);
        workload(b);
        assertThat(dump(a)).isEqualTo(dump(b)).isNotEmpty();
        // and it is the same model as a store held wholly in memory
        EmbeddingStore ref = EmbeddingStore.inMemory("ref", config().withPrecision(Precision.INT8)
                .withInit(ChunkInit.RANDOM, 0.05f));
        workload(ref);
        assertThat(dump(a)).isEqualTo(dump(ref));
    }

    /**
     * A warm start: every row of a trained table (mixed masks and precisions) imported into an empty
     * store reads back with the same mask and precisions and the same values (re-quantized at their
     * precision: within one part in 10^5), takes the same bytes, and survives a flush.
     */
    @Test
    void shouldImportRowsAsExported() {
        EmbeddingStore a = newStore(config().withPrecision(Precision.INT8).withInit(ChunkInit.RANDOM, 0.05f));
        workload(a);
        EmbeddingStore b = newStore(config().withPrecision(Precision.INT8));
        a.snapshot(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                b.importRow(key, mask, precisions, values, linear);
            }

            @Override
            public void evicted(long key) {
                throw new AssertionError("snapshot never reports evictions");
            }
        });
        List<String> da = dump(a);
        List<String> db = dump(b);
        assertThat(db).hasSameSizeAs(da).hasSizeGreaterThan(100);
        assertThat(b.rowCount()).isEqualTo(a.rowCount());
        assertThat(b.storedBytes()).isEqualTo(a.storedBytes());
        for (int i = 0; i < da.size(); i++) {
            String[] x = da.get(i).split(" ");
            String[] y = db.get(i).split(" ");
            assertThat(Arrays.copyOf(y, 2 + LAYOUT.chunks())).as("key, mask, precisions").containsExactly(
                    Arrays.copyOf(x, 2 + LAYOUT.chunks()));
            float[] fx = floats(x, 2 + LAYOUT.chunks());
            float[] fy = floats(y, 2 + LAYOUT.chunks());
            assertThat(fy[D]).as("row %s linear", x[0]).isEqualTo(fx[D]);
            for (int c = 0; c < LAYOUT.chunks(); c++) {
                // re-quantized at the chunk's precision: exact for floats, within one code step for integers
                Precision p = Precision.valueOf(x[2 + c]);
                float maxAbs = 0;
                for (int j = LAYOUT.offset(c); j < LAYOUT.offset(c) + LAYOUT.width(c); j++) {
                    maxAbs = Math.max(maxAbs, Math.abs(fx[j]));
                }
                float step = !p.quantized() ? 0f : maxAbs / ((1 << (p.bits() - 1)) - 1) * 1.004f;
                for (int j = LAYOUT.offset(c); j < LAYOUT.offset(c) + LAYOUT.width(c); j++) {
                    assertThat(fy[j]).as("row %s value %d at %s", x[0], j, p).isCloseTo(fx[j], within(step));
                }
            }
        }
        assertThatThrownBy(() -> b.importRow(Long.parseLong(da.get(0).split(" ")[0]), 1,
                new Precision[] {Precision.FP32, Precision.FP32, Precision.FP32, Precision.FP32}, new float[D], 0f))
                .hasMessageContaining("already has a row");
        if (durable()) {
            b.flush();
            b.reset();
            assertThat(dump(b)).isEqualTo(db);
        }
    }

    @Test
    void shouldPruneAllocateAndRequantizeChunks() {
        EmbeddingStore s = newStore(config().withInit(ChunkInit.RANDOM, 0.05f));
        long[] key = {-5};
        s.scatter(key, null, 1, grads(1, 2), 1);
        float[] before = new float[D + 1];
        s.gather(key, 1, before);
        long bytes = s.storedBytes();

        s.pruneChunk(-5, 3);
        float[] pruned = new float[D + 1];
        s.gather(key, 1, pruned);
        assertThat(Arrays.copyOfRange(pruned, 8, 16)).containsOnly(0f);
        assertThat(Arrays.copyOfRange(pruned, 0, 8)).isEqualTo(Arrays.copyOfRange(before, 0, 8));
        assertThat(s.storedBytes()).isEqualTo(bytes - 8 * 4);

        s.allocateChunk(-5, 3, ChunkInit.ZERO);
        float[] back = new float[D + 1];
        s.gather(key, 1, back);
        assertThat(Arrays.copyOfRange(back, 8, 16)).containsOnly(0f);
        assertThat(s.storedBytes()).isEqualTo(bytes);

        s.setPrecision(-5, 2, Precision.INT4);
        float[] q = new float[D + 1];
        s.gather(key, 1, q);
        float maxAbs = 0;
        for (int j = 4; j < 8; j++) {
            maxAbs = Math.max(maxAbs, Math.abs(before[j]));
        }
        for (int j = 4; j < 8; j++) {
            // one code step: max|x| rounded up to bf16 (at most 2^-8 more), over 7
            assertThat(Math.abs(q[j] - before[j])).isLessThanOrEqualTo(maxAbs / 7 * 1.004f);
        }
        // 4 values: 16 fp32 bytes -> 2 bytes of int4 plus a 2-byte scale
        assertThat(s.storedBytes()).isEqualTo(bytes - 16 + 2 + 2);
        s.forEachRow(row -> assertThat(row.precision(2)).isEqualTo(Precision.INT4));
        assertThatThrownBy(() -> s.pruneChunk(12345, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("12345");
    }

    @Test
    void shouldEvictARowThatComesBackFresh() {
        EmbeddingStore s = newStore(config());
        long[] key = {99};
        float[] g = grads(1, 4);
        s.scatter(key, null, 1, g, 1);
        s.scatter(key, null, 1, g, 2);
        s.evictRow(99);
        assertThat(s.rowCount()).isZero();
        assertThat(s.storedBytes()).isZero();
        float[] out = new float[D + 1];
        s.gather(key, 1, out);
        assertThat(out).containsOnly(0f);
        s.scatter(key, null, 1, g, 3);
        // zero optimizer state: the first Adagrad step moves every weight by lr * sign(g) (per-chunk RMS)
        s.gather(key, 1, out);
        assertThat(out[D]).isCloseTo(-0.1f * Math.signum(g[D]), within(1e-6f));
        s.forEachRow(row -> assertThat(row.accesses()).isEqualTo(1));
    }

    @Test
    void shouldReportChangedRowsAndTombstonesInKeyOrder() {
        EmbeddingStore s = newStore(config());
        s.scatter(new long[] {3, -1, 2}, null, 3, grads(3, 5), 1);
        s.flush();
        s.clearChanged();
        s.scatter(new long[] {2}, null, 1, grads(1, 6), 2);
        s.evictRow(3);
        s.pruneChunk(-1, 0);
        List<String> seen = new ArrayList<>();
        s.forEachChanged(new RowSink() {
            @Override
            public void row(long key, int mask, Precision[] precisions, float[] values, float linear) {
                seen.add(key + ":" + mask);
            }

            @Override
            public void evicted(long key) {
                seen.add(key + ":evicted");
            }
        });
        assertThat(seen).containsExactly("2:15", "3:evicted", "-1:14");
        s.clearChanged();
        assertThat(s.changedCount()).isZero();
    }

    @Test
    void shouldSampleUtilitiesDeterministicallyFromEveryRow() {
        EmbeddingStore s = newStore(config());
        workload(s);
        float[] a = new float[50];
        float[] b = new float[50];
        assertThat(s.sampleUtilities(2, 50, 11, a)).isEqualTo(50);
        assertThat(s.sampleUtilities(2, 50, 11, b)).isEqualTo(50);
        assertThat(a).isEqualTo(b);
        float[] all = new float[10_000];
        int n = s.sampleUtilities(-1, all.length, 11, all);
        assertThat(n).isEqualTo(s.rowCount() * LAYOUT.chunks());
        float[] c = new float[50];
        s.sampleUtilities(2, 50, 12, c);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void shouldVisitRowsInKeyOrderAndAccountEveryByte() {
        EmbeddingStore s = newStore(config().withPrecision(Precision.INT8));
        workload(s);
        List<Long> keys = new ArrayList<>();
        long[] sum = {0};
        s.forEachRow(row -> {
            keys.add(row.key());
            Precision[] p = new Precision[LAYOUT.chunks()];
            for (int c = 0; c < p.length; c++) {
                p[c] = row.precision(c);
            }
            sum[0] += s.rowBytes(row.mask(), p);
        });
        assertThat(keys).hasSize((int) s.rowCount()).isSortedAccordingTo(Long::compareUnsigned);
        assertThat(s.storedBytes()).isEqualTo(sum[0]);
        MemoryReport m = s.memory();
        assertThat(m.storedBytes()).isEqualTo(sum[0]);
        assertThat(m.valueBytesByPrecision().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(m.valueBytes());
        assertThat(Arrays.stream(m.valueBytesByChunk()).sum()).isEqualTo(m.valueBytes());
        assertThat(m.valueBytesByPrecision().get(Precision.INT4)).isPositive();
    }

    @Test
    void shouldRejectNonFiniteGradientsWithoutApplyingAny() {
        EmbeddingStore s = newStore(config());
        float[] g = grads(2, 1);
        g[D + 1 + 3] = Float.NaN;
        assertThatThrownBy(() -> s.scatter(new long[] {1, 2}, null, 2, g, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row key 2");
        assertThat(s.rowCount()).isZero();
    }

    @Test
    void shouldKeepFlushedRowsAcrossAReset() {
        EmbeddingStore s = newStore(config().withPrecision(Precision.INT4));
        workload(s);
        s.flush();
        List<String> before = dump(s);
        int changed = s.changedCount();
        s.reset();
        if (durable()) {
            assertThat(dump(s)).isEqualTo(before);
            assertThat(s.changedCount()).isEqualTo(changed);
        } else {
            assertThat(s.rowCount()).isZero();
        }
    }
}
