package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.inflight.policies.Precision;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class RowCodecTest {

    static final ChunkLayout LAYOUT = ChunkLayout.of(2, 2, 4, 8);

    /**
     * The row stored in {@code rows/v3-row.bin} and {@code rows/v2-row.bin} (and, with an fp32 scale,
     * {@code rows/v1-row.bin}): chunks at FP32, (pruned INT8), INT4, BF16; its accumulators are exact
     * in every version's form.
     */
    static RowBuffer fixtureRow() {
        RowBuffer r = new RowBuffer(LAYOUT);
        r.key = 0x0123456789abcdefL;
        r.mask = 0b1101;
        r.precision[0] = (byte) Precision.FP32.ordinal();
        r.precision[1] = (byte) Precision.INT8.ordinal();
        r.precision[2] = (byte) Precision.INT4.ordinal();
        r.precision[3] = (byte) Precision.BF16.ordinal();
        r.accesses = 17;
        r.lastStep = 1234;
        r.linear = -0.25f;
        r.linearAcc = 2.5f;
        float[] values = {0.5f, -1.5f, 0, 0, 0.7f, -0.7f, 0.35f, 0f, 1f, 2f, 3f, 4f, -1f, -2f, -3f, -4f};
        for (int c = 0; c < 4; c++) {
            r.utility[c] = c + 0.5f;
            if ((r.mask & (1 << c)) != 0) {
                r.accumulator[c] = 0.125f * (c + 1);
                r.scale[c] = Quantizer.encode(values, LAYOUT.offset(c), LAYOUT.width(c), r.precision(c), r.raw,
                        r.rawOffset(c), 5, LAYOUT.offset(c));
            }
        }
        return r;
    }

    static byte[] fixture() throws IOException {
        return resource("/rows/v3-row.bin");
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = RowCodecTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void shouldReadTheCheckedInVersionThreeFixtureAndWriteItAgain() throws IOException {
        byte[] bytes = fixture();
        // header 16, codes 2, utilities 4, chunks 0/2/3: (2 + 8) + (2 + 2 + 2) + (2 + 16), CRC 4
        assertThat(bytes).hasSize(60);
        assertThat(bytes[0]).isEqualTo((byte) 3);
        RowBuffer r = new RowBuffer(LAYOUT);
        RowCodec.decode(bytes, r, "s", 0x0123456789abcdefL);
        assertFixtureFields(r);
        // 0.5, 1.5, 2.5, 3.5 as their nearest 8-bit codes 2^((q - 128)/6): q = 122, 131, 136, 139
        assertThat(r.utility).containsExactly(0.5f, (float) StrictMath.pow(2, 3 / 6.0),
                (float) StrictMath.pow(2, 8 / 6.0), (float) StrictMath.pow(2, 11 / 6.0));
        assertThat(Arrays.copyOfRange(bytes, 18, 22)).containsExactly(122, 131, 136, 139 - 256);
        // max|x| = 0.7 rounded up to bf16 (0.703125), over 7; the codes were computed with it.
        assertThat(r.scale[2]).isEqualTo(0.703125f / 7);
        float[] v = new float[16];
        r.values(v, 0);
        assertThat(v).containsExactly(0.5f, -1.5f, 0, 0, r.scale[2] * 7, r.scale[2] * -7, r.scale[2] * 4,
                0f, 1f, 2f, 3f, 4f, -1f, -2f, -3f, -4f);
        // The encoder still writes exactly these bytes.
        assertThat(RowCodec.encode(fixtureRow())).isEqualTo(bytes);
        assertThat(RowCodec.encode(r)).isEqualTo(bytes);
    }

    @Test
    void shouldReadTheCheckedInVersionTwoFixtureAndWriteItAsVersionThree() throws IOException {
        byte[] v2 = resource("/rows/v2-row.bin");
        // header 24 (i32 accesses, i32 update counter, f32 linear accumulator), f32 chunk accumulators
        assertThat(v2).hasSize(78);
        RowBuffer r = new RowBuffer(LAYOUT);
        RowCodec.decode(v2, r, "s", 0x0123456789abcdefL);
        assertFixtureFields(r);
        assertThat(r.utility).containsExactly(0.5f, 1.5f, 2.5f, 3.5f);
        assertThat(r.scale[2]).isEqualTo(0.703125f / 7);
        // the update counter is dropped, the utilities round to their nearest codes, the rest fits exactly
        assertThat(RowCodec.encode(r)).isEqualTo(fixture());
    }

    @Test
    void shouldSaturateTheAccessCountOfAnOlderRow() throws IOException {
        byte[] v2 = resource("/rows/v2-row.bin");
        ByteBuffer b = ByteBuffer.wrap(v2).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4, 100_000);
        CRC32C crc = new CRC32C();
        crc.update(v2, 0, v2.length - 4);
        b.putInt(v2.length - 4, (int) crc.getValue());
        RowBuffer r = new RowBuffer(LAYOUT);
        RowCodec.decode(v2, r, "s", 1);
        assertThat(r.accesses()).isEqualTo(RowSizes.MAX_ACCESSES);
        RowBuffer again = new RowBuffer(LAYOUT);
        RowCodec.decode(RowCodec.encode(r), again, "s", 1);
        assertThat(again.accesses()).isEqualTo(65_535);
    }

    @Test
    void shouldCarryOneAccumulatorPerRowAndConvertBetweenTheForms() throws IOException {
        RowBuffer r = fixtureRow();
        r.rowAdagrad = true;
        r.rowAccumulator = 0.75f;
        byte[] b = RowCodec.encode(r);
        assertThat(b).hasSize(fixture().length + 2 - 3 * 2); // one 2-byte accumulator instead of three (stored chunks)
        assertThat(b[1]).isEqualTo((byte) (4 | RowCodec.ROW_ADAGRAD));
        RowBuffer back = new RowBuffer(LAYOUT);
        RowCodec.decode(b, back, "s", r.key);
        assertThat(back.rowAdagrad).isTrue();
        assertThat(back.rowAccumulator).isEqualTo(0.75f);
        assertThat(back.accumulator).containsOnly(0f);
        assertThat(RowCodec.encode(back)).isEqualTo(b);
        // a chunk-wise row read by a row-wise store: the mean over the stored dimensions
        RowBuffer chunks = new RowBuffer(LAYOUT);
        RowCodec.decode(fixture(), chunks, "s", r.key);
        // 0.125·2 + 0.375·4 + 0.5·8 over 14 = 0.41071..., rounded to the nearest 16-bit value in the hot tier
        assertThat(chunks.rowAdagrad).isFalse();
        assertThat(chunks.meanAccumulator()).isEqualTo((float) ((0.125 * 2 + 0.375 * 4 + 0.5 * 8) / 14));
        HotTier rowWise = new HotTier(LAYOUT, 4, true);
        int e = rowWise.allocate(r.key);
        rowWise.copyIn(e, chunks);
        assertThat(rowWise.accumulator(e)).isEqualTo(Quantizer.acc16ToFloat(Quantizer.acc16Nearest(chunks.meanAccumulator())))
                .isCloseTo(chunks.meanAccumulator(), offset(chunks.meanAccumulator() / 512));
        HotTier chunkWise = new HotTier(LAYOUT, 4, false);
        int f = chunkWise.allocate(r.key);
        chunkWise.copyIn(f, back);
        assertThat(new float[] {chunkWise.accumulator(0), chunkWise.accumulator(1), chunkWise.accumulator(2), chunkWise.accumulator(3)})
                .containsExactly(0.75f, 0f, 0.75f, 0.75f);
    }

    @Test
    void shouldCarryExactlyTheBytesRowSizesCountsBesidesKeySlotsAndFraming() {
        RowBuffer r = fixtureRow();
        Precision[] all = Precision.values();
        for (boolean rowAdagrad : new boolean[] {true, false}) {
            r.rowAdagrad = rowAdagrad;
            for (int mask = 0; mask < 16; mask++) {
                for (Precision p : all) {
                    r.mask = mask;
                    Precision[] ps = new Precision[4];
                    for (int c = 0; c < 4; c++) {
                        ps[c] = c == 1 ? p : RowBuffer.PRECISIONS[r.precision[c]];
                    }
                    r.precision[1] = (byte) p.ordinal();
                    long counted = RowSizes.valueBytes(LAYOUT, mask, ps) + RowSizes.metadataBytes(LAYOUT, mask, ps, rowAdagrad);
                    // the key is RocksDB's, slot addresses (4 per chunk) exist only in the hot tier, a
                    // pruned chunk's accumulator (chunk-wise Adagrad) is 0 and not written; framing:
                    // version, K, D (4 bytes) and the CRC (4)
                    int pruned = 4 - Integer.bitCount(mask);
                    assertThat(RowCodec.encode(r)).as("mask %s, chunk 1 at %s, row-wise %s", mask, p, rowAdagrad)
                            .hasSize((int) (counted - 8 - 4 * 4 - (rowAdagrad ? 0 : RowSizes.ACCUMULATOR_BYTES * pruned) + 4 + 4));
                }
            }
        }
    }

    @Test
    void shouldRejectNonZeroPaddingNibbles() {
        ChunkLayout odd = ChunkLayout.of(4, 4, 4);
        RowBuffer r = new RowBuffer(odd);
        r.mask = 0b101;
        byte[] b = RowCodec.encode(r);
        b[RowCodec.HEADER + 1] |= (byte) 0x80; // the unused high nibble of the second code byte
        CRC32C crc = new CRC32C();
        crc.update(b, 0, b.length - 4);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
        assertThatThrownBy(() -> RowCodec.decode(b, new RowBuffer(odd), "emb", 3))
                .isInstanceOf(StoreException.class).hasMessageContaining("beyond K=3");
    }

    @Test
    void shouldReadTheCheckedInVersionOneFixture() throws IOException {
        RowBuffer r = new RowBuffer(LAYOUT);
        RowCodec.decode(resource("/rows/v1-row.bin"), r, "s", 0x0123456789abcdefL);
        assertFixtureFields(r);
        assertThat(r.utility).containsExactly(0.5f, 1.5f, 2.5f, 3.5f);
        float[] v = new float[16];
        r.values(v, 0);
        // FP32 and BF16 values here are exact; INT4 (scale 0.1) stored codes 7, -7, 4 (0.35 rounded up), 0.
        assertThat(v).containsExactly(0.5f, -1.5f, 0, 0, r.scale[2] * 7, r.scale[2] * -7, r.scale[2] * 4,
                0f, 1f, 2f, 3f, 4f, -1f, -2f, -3f, -4f);
        assertThat(r.scale[2]).isEqualTo(0.1f);
        // Written again as version 3: the same fields, the scale rounded to the nearest bf16.
        RowBuffer again = new RowBuffer(LAYOUT);
        RowCodec.decode(RowCodec.encode(r), again, "s", 0x0123456789abcdefL);
        assertThat(again.mask).isEqualTo(0b1101);
        assertThat(again.utility).containsExactly(Quantizer.util8ToFloat(122), Quantizer.util8ToFloat(131),
                Quantizer.util8ToFloat(136), Quantizer.util8ToFloat(139));
        assertThat(again.scale[2]).isEqualTo(Quantizer.unpackScale(Quantizer.bf16Nearest(0.7f), Precision.INT4));
    }

    @Test
    void shouldRejectAnUnknownVersionNamingStoreAndKey() throws IOException {
        byte[] b = fixture();
        b[0] = 9;
        assertThatThrownBy(() -> RowCodec.decode(b, new RowBuffer(LAYOUT), "emb", 77))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("store emb").hasMessageContaining("row key 77")
                .hasMessageContaining("version 9 is not supported");
        assertThat(RowCodec.VERSION).isEqualTo((byte) 3);
    }

    @Test
    void shouldRejectCorruptTruncatedAndMismatchedRows() throws IOException {
        byte[] flipped = fixture();
        flipped[50] ^= 0x10;
        assertThatThrownBy(() -> RowCodec.decode(flipped, new RowBuffer(LAYOUT), "emb", 5))
                .isInstanceOf(StoreException.class).hasMessageContaining("corrupt").hasMessageContaining("row key 5");
        byte[] whole = fixture();
        byte[] cut = Arrays.copyOf(whole, 20);
        assertThatThrownBy(() -> RowCodec.decode(cut, new RowBuffer(LAYOUT), "emb", 5))
                .isInstanceOf(StoreException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> RowCodec.decode(whole, new RowBuffer(ChunkLayout.of(8, 8)), "emb", 5))
                .isInstanceOf(StoreException.class).hasMessageContaining("K=4").hasMessageContaining("8,8");
        assertThatThrownBy(() -> RowCodec.decode(new byte[0], new RowBuffer(LAYOUT), "emb", 5))
                .isInstanceOf(StoreException.class).hasMessageContaining("empty");
    }

    /** The fields every checked-in fixture holds besides values and utilities: mask, precisions, counters, linear part, accumulators. */
    private static void assertFixtureFields(RowBuffer r) {
        assertThat(r.mask).isEqualTo(0b1101);
        assertThat(r.precision(0)).isEqualTo(Precision.FP32);
        assertThat(r.precision(1)).isEqualTo(Precision.INT8);
        assertThat(r.precision(2)).isEqualTo(Precision.INT4);
        assertThat(r.precision(3)).isEqualTo(Precision.BF16);
        assertThat(r.accesses()).isEqualTo(17);
        assertThat(r.lastAccessStep()).isEqualTo(1234);
        assertThat(r.linear).isEqualTo(-0.25f);
        assertThat(r.linearAcc).isEqualTo(2.5f);
        assertThat(r.accumulator).containsExactly(0.125f, 0f, 0.375f, 0.5f);
    }
}
