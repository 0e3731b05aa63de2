package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.inflight.policies.Precision;
import org.junit.jupiter.api.Test;

/** The narrow per-row fields of {@link HotTier} (issue #18): what they hold at their limits. */
class HotTierFieldsTest {

    static final ChunkLayout LAYOUT = ChunkLayout.of(4, 4, 4);

    @Test
    void shouldSaturateAccessesAtTwoBytesAndReadStepsUnsigned() {
        HotTier hot = new HotTier(LAYOUT, 4, false);
        int e = hot.allocate(7);
        hot.addAccesses(e, 65_000);
        assertThat(hot.accesses(e)).isEqualTo(65_000);
        hot.addAccesses(e, 535);
        assertThat(hot.accesses(e)).isEqualTo(65_535);
        hot.addAccesses(e, Integer.MAX_VALUE);
        assertThat(hot.accesses(e)).isEqualTo(RowSizes.MAX_ACCESSES).isEqualTo(65_535);
        // a step past 2^32 (low 32 bits stored): the gap is still exact
        long step = (1L << 32) + 10;
        hot.lastStep[e] = (int) step;
        assertThat(hot.skippedSteps(e, step + 1)).isZero();
        assertThat(hot.skippedSteps(e, step + 1001)).isEqualTo(1000);
        hot.lastStep[e] = (int) ((1L << 32) - 3);
        assertThat(hot.skippedSteps(e, 1L << 32)).isEqualTo(2);
    }

    @Test
    void shouldKeepAccumulatorsInSixteenBitsWithUnbiasedRounding() {
        HotTier hot = new HotTier(LAYOUT, 4, true);
        int e = hot.allocate(7);
        // 1 + 2^-8 is exact in the format (8 mantissa bits); 1 + 2^-9 is halfway to the next value
        hot.setLinearAcc(e, 1f + 0x1p-8f, 0);
        assertThat(hot.linearAcc(e)).isEqualTo(1f + 0x1p-8f);
        hot.setAccumulator(e, 1f + 0x1p-9f, 0x3fff);
        assertThat(hot.accumulator(e)).isEqualTo(1f);
        hot.setAccumulator(e, 1f + 0x1p-9f, 0x4000);
        assertThat(hot.accumulator(e)).isEqualTo(1f + 0x1p-8f);
        // an increment of 1/64 of the last bit survives in expectation over the 2^15 draws
        double sum = 0;
        for (int r = 0; r < 1 << 15; r++) {
            hot.setAccumulator(e, 1f + 0x1p-14f, r);
            sum += hot.accumulator(e);
        }
        assertThat(sum / (1 << 15)).isEqualTo(1.0 + 0x1p-14);
        hot.setAccumulator(e, Float.MAX_VALUE, 0x7fff);
        assertThat(hot.accumulator(e)).isEqualTo(Float.intBitsToFloat(0x7f7f8000));
        hot.setAccumulator(e, Float.POSITIVE_INFINITY, 0);
        assertThat(hot.accumulator(e)).isEqualTo(Float.intBitsToFloat(0x7f7f8000));
        hot.setAccumulator(e, 0f, 0x7fff);
        assertThat(hot.accumulator(e)).isZero();
        assertThat(hot.accumulator).hasSize(hot.capacity); // one 2-byte accumulator per row
    }

    @Test
    void shouldKeepUtilitiesInEightBitsWithUnbiasedRounding() {
        HotTier hot = new HotTier(LAYOUT, 4, true);
        int e = hot.allocate(7);
        assertThat(hot.utility).hasSize(hot.capacity * 3); // one byte per chunk
        hot.setUtility(e, 1, 1f, 0xffff); // a code (2^0): exact whatever the draw
        assertThat(hot.utility(e, 1)).isEqualTo(1f);
        assertThat(hot.utility[e * 3 + 1]).isEqualTo((byte) 128);
        // 1.1 lies between codes 128 (1) and 129 (2^(1/6)); its mean over the 2^16 draws is 1.1
        float lo = Quantizer.util8ToFloat(128);
        float hi = Quantizer.util8ToFloat(129);
        assertThat(hi).isEqualTo((float) StrictMath.pow(2, 1 / 6.0));
        double sum = 0;
        for (int r = 0; r < 1 << 16; r++) {
            hot.setUtility(e, 2, 1.1f, r);
            float u = hot.utility(e, 2);
            assertThat(u).isIn(lo, hi);
            sum += u;
        }
        assertThat(sum / (1 << 16)).isCloseTo(1.1, offset((hi - lo) / 65536.0 + 1e-6));
        // below code 1 (4.3e-7) a value rounds to 0 or code 1; above code 255 (2.3e6) it saturates
        hot.setUtility(e, 0, 1e-9f, 0xffff); // rounds up only for a draw below 1e-9 / 4.3e-7
        assertThat(hot.utility(e, 0)).isZero();
        hot.setUtility(e, 0, 1e9f, 0);
        assertThat(hot.utility(e, 0)).isEqualTo(Quantizer.util8ToFloat(255)).isEqualTo((float) StrictMath.pow(2, 127 / 6.0));
        hot.setUtility(e, 0, 0f, 0xffff);
        assertThat(hot.utility(e, 0)).isZero();
    }

    @Test
    void shouldHoldExactlyTheMetadataBytesRowSizesCountsPerRow() {
        for (boolean rowAdagrad : new boolean[] {true, false}) {
            HotTier hot = new HotTier(ChunkLayout.of(4, 4, 4, 4), 8, rowAdagrad);
            int cap = hot.capacity;
            // the entry arrays (the LRU links, free list and dirty flags are container overhead)
            long held = 8L * hot.key.length + hot.code.length + 4L * hot.slot.length + hot.utility.length
                    + 2L * hot.accumulator.length + 2L * hot.accesses.length + 4L * hot.lastStep.length
                    + 4L * hot.linear.length + 2L * hot.linearAcc.length;
            assertThat(held).isEqualTo((long) cap * RowSizes.fixedMetadataBytes(4, rowAdagrad));
            assertThat(RowSizes.fixedMetadataBytes(4, rowAdagrad)).isEqualTo(rowAdagrad ? 44 : 50);
        }
    }

    @Test
    void shouldPackMaskAndPrecisionInOneNibblePerChunk() {
        HotTier hot = new HotTier(LAYOUT, 4, false);
        assertThat(hot.codeBytes).isEqualTo(2);
        int e = hot.allocate(1);
        hot.setPrecision(e, 0, (byte) Precision.INT2.ordinal());
        hot.setPrecision(e, 2, (byte) Precision.BF16.ordinal());
        hot.allocateSlot(e, 2);
        assertThat(hot.mask(e)).isEqualTo(0b100);
        assertThat(hot.precision(e, 0)).isEqualTo((byte) Precision.INT2.ordinal());
        assertThat(hot.precision(e, 1)).isEqualTo((byte) Precision.FP32.ordinal());
        assertThat(hot.precision(e, 2)).isEqualTo((byte) Precision.BF16.ordinal());
        hot.allocateSlot(e, 0);
        hot.releaseSlot(e, 2);
        assertThat(hot.mask(e)).isEqualTo(0b001);
        assertThat(hot.precision(e, 2)).isEqualTo((byte) Precision.BF16.ordinal()); // kept while pruned
        int f = hot.allocate(2); // the neighbouring entry's codes are its own
        assertThat(hot.mask(f)).isZero();
        assertThat(hot.mask(e)).isEqualTo(0b001);
    }

    @Test
    void shouldKeepTheScaleOfAQuantizedChunkInItsSlot() {
        HotTier hot = new HotTier(LAYOUT, 4, false);
        int e = hot.allocate(1);
        hot.setPrecision(e, 1, (byte) Precision.INT8.ordinal());
        hot.allocateSlot(e, 1);
        assertThat(hot.slab(1, Precision.INT8.ordinal()).slotBytes).isEqualTo(4 + RowSizes.SCALE_BYTES);
        float[] x = {0.3f, -0.2f, 0.1f, 0f};
        hot.encode(e, 1, x, 0, 9);
        float[] back = new float[4];
        hot.decode(e, 1, back, 0);
        float scale = hot.scale(e, 1);
        // max|x| rounded up to bf16, over 127, read back from the 2 bytes after the values
        assertThat(scale).isEqualTo(Quantizer.bf16Ceil(0.3f) / 127);
        for (int j = 0; j < 4; j++) {
            assertThat(Math.abs(back[j] - x[j])).isLessThanOrEqualTo(scale);
        }
    }
}
