package io.inflight.policies.precision;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.Quantiles;
import java.util.Arrays;

/**
 * In-flight precision by utility rank: stored chunks are placed on a ladder of precisions by the
 * rank of their utility among all chunks (sampled), e.g. top 5% FP32, next 15% FP16, next 30%
 * INT8, rest INT4, and re-quantized with {@link EmbeddingTable#setPrecision} when their rung
 * changes (promotion = more bits, demotion = fewer). This is the streaming form of "hot rows in
 * fp32, the rest in int8/int4" (Yang et al.; ALPT) with MPE's frequency grouping replaced by the
 * online utility rank. Under budget pressure the shares of all rungs but the last are multiplied by
 * a scale in (0, 1], pushing more chunks to the last rung.
 */
public final class PrecisionLadder {

    private static final Precision[] PRECISIONS = Precision.values();

    private final Precision[] levels;
    private final double[] shares;
    private final int sampleSize;
    private final float[] samples;

    /** Result: changes applied and stored chunks per precision (by ordinal) after the pass. */
    public record Result(long promotions, long demotions, long[] chunksPerPrecision) {
    }

    /**
     * @param levels     rungs from the most to the fewest bits (strictly decreasing bits)
     * @param shares     share of all chunks for every rung but the last (the last takes the rest);
     *                   each in [0, 1], sum <= 1
     * @param sampleSize utilities sampled to read the rung thresholds
     */
    public PrecisionLadder(Precision[] levels, double[] shares, int sampleSize) {
        if (levels.length < 1 || shares.length != levels.length - 1) {
            throw new IllegalArgumentException("a ladder of " + levels.length + " levels needs "
                    + Math.max(0, levels.length - 1) + " shares, got " + shares.length);
        }
        double sum = 0;
        for (int i = 0; i < levels.length; i++) {
            if (i > 0 && levels[i].bits() >= levels[i - 1].bits()) {
                throw new IllegalArgumentException("ladder levels must have strictly decreasing bits, got "
                        + Arrays.toString(levels));
            }
        }
        for (double s : shares) {
            if (!(s >= 0 && s <= 1)) {
                throw new IllegalArgumentException("ladder share must be in [0, 1], got " + s);
            }
            sum += s;
        }
        if (sum > 1 + 1e-9) {
            throw new IllegalArgumentException("ladder shares must sum to <= 1, got " + sum);
        }
        this.levels = levels.clone();
        this.shares = shares.clone();
        this.sampleSize = sampleSize;
        this.samples = new float[sampleSize];
    }

    /** The lowest rung: the precision of new rows and the budget enforcer's demotion floor. */
    public Precision floor() {
        return levels[levels.length - 1];
    }

    public Precision[] levels() {
        return levels.clone();
    }

    /** Thresholds {@code t_i}: a chunk with utility {@code > t_i} belongs to rung {@code i} or higher. */
    public float[] thresholds(EmbeddingTable table, double scale, long seed) {
        int n = table.sampleUtilities(-1, sampleSize, seed, samples);
        Arrays.sort(samples, 0, n);
        float[] t = new float[levels.length - 1];
        double cumulative = 0;
        for (int i = 0; i < t.length; i++) {
            cumulative += shares[i] * scale;
            t[i] = cumulative <= 0 ? Float.POSITIVE_INFINITY
                    : Quantiles.thresholdAtSorted(samples, n, Math.max(0, 1 - Math.min(1, cumulative)));
        }
        return t;
    }

    /** Moves every stored chunk to its rung; {@code scale} in (0, 1] shrinks the upper rungs. */
    public Result run(EmbeddingTable table, double scale, long seed) {
        if (!(scale > 0 && scale <= 1)) {
            throw new IllegalArgumentException("ladder scale must be in (0, 1], got " + scale);
        }
        float[] t = thresholds(table, scale, seed);
        int k = table.chunkWidths().length;
        GrowableLongs changes = new GrowableLongs(1024);
        long[] perPrecision = new long[PRECISIONS.length];
        long[] counts = new long[2];
        table.forEachRow(row -> {
            int mask = row.mask();
            for (int c = 0; c < k; c++) {
                if ((mask & (1 << c)) == 0) {
                    continue;
                }
                float u = row.utility(c);
                int level = levels.length - 1;
                for (int i = 0; i < t.length; i++) {
                    if (u > t[i]) {
                        level = i;
                        break;
                    }
                }
                Precision target = levels[level];
                Precision current = row.precision(c);
                perPrecision[target.ordinal()]++;
                if (target != current) {
                    changes.add(row.key());
                    changes.add(((long) c << 8) | target.ordinal());
                    counts[target.bits() > current.bits() ? 0 : 1]++;
                }
            }
        });
        for (int i = 0; i < changes.size(); i += 2) {
            long packed = changes.get(i + 1);
            table.setPrecision(changes.get(i), (int) (packed >>> 8), PRECISIONS[(int) (packed & 0xFF)]);
        }
        return new Result(counts[0], counts[1], perPrecision);
    }
}
