package io.inflight.store;

import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import java.util.Arrays;

/**
 * One row's complete state outside the hot tier's arrays: what {@link RowCodec} reads and writes,
 * and the reusable {@link RowView} of rows visited from the cold tier. Values stay in their stored
 * form: chunk {@code c}'s bytes start at {@code raw[4 · offset(c)]}. Mutable, reused; not thread-safe.
 */
final class RowBuffer implements RowView {

    static final Precision[] PRECISIONS = Precision.values();

    final ChunkLayout layout;
    long key;
    int mask;
    final byte[] precision;
    final float[] utility;
    /** Per-chunk Adagrad accumulators (all 0 when {@link #rowAdagrad}). */
    final float[] accumulator;
    /** Whether the row has one Adagrad accumulator, {@link #rowAccumulator}, instead of one per chunk. */
    boolean rowAdagrad;
    float rowAccumulator;
    final float[] scale;
    /** Access count (saturating at {@link RowSizes#MAX_ACCESSES}), low 32 bits of the last access step (see {@link HotTier}). */
    int accesses;
    int lastStep;
    float linear;
    float linearAcc;
    final byte[] raw;

    RowBuffer(ChunkLayout layout) {
        this.layout = layout;
        int k = layout.chunks();
        precision = new byte[k];
        utility = new float[k];
        accumulator = new float[k];
        scale = new float[k];
        raw = new byte[4 * layout.dim()];
    }

    /** The per-chunk accumulators as one: their mean over the stored dimensions (0 with none stored). */
    float meanAccumulator() {
        double sum = 0;
        int w = 0;
        for (int c = 0; c < layout.chunks(); c++) {
            if ((mask & (1 << c)) != 0) {
                sum += (double) accumulator[c] * layout.width(c);
                w += layout.width(c);
            }
        }
        return w == 0 ? 0f : (float) (sum / w);
    }

    int rawOffset(int chunk) {
        return 4 * layout.offset(chunk);
    }

    /** Dequantized values, zero-padded, into {@code dst[off .. off + D)}. */
    void values(float[] dst, int off) {
        for (int c = 0; c < layout.chunks(); c++) {
            int o = off + layout.offset(c);
            if ((mask & (1 << c)) != 0) {
                Quantizer.decode(raw, rawOffset(c), layout.width(c), PRECISIONS[precision[c]], scale[c], dst, o);
            } else {
                Arrays.fill(dst, o, o + layout.width(c), 0f);
            }
        }
    }

    @Override
    public long key() {
        return key;
    }

    @Override
    public int mask() {
        return mask;
    }

    @Override
    public Precision precision(int chunk) {
        return PRECISIONS[precision[chunk]];
    }

    @Override
    public float utility(int chunk) {
        return utility[chunk];
    }

    @Override
    public long accesses() {
        return accesses;
    }

    @Override
    public long lastAccessStep() {
        return Integer.toUnsignedLong(lastStep);
    }
}
