package io.inflight.policies.fiited;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.Quantiles;
import java.util.Arrays;

/**
 * One FIITED pass (papers/002, Algorithm 1) over a table:
 * <ol>
 *   <li>sample {@code m} utilities per chunk ({@link EmbeddingTable#sampleUtilities}) and read each
 *       chunk's threshold at its pruning ratio (manual mode), or sample all chunks together and read
 *       one global threshold at the global ratio (adaptive mode);</li>
 *   <li>visit every row and count the chunks that would cross their threshold: stored chunks with
 *       utility {@code <= t} (would be pruned) and pruned chunks with utility {@code > t} (would be
 *       re-allocated);</li>
 *   <li>only if that count exceeds {@code crossingFraction} of all chunks (or the pass is forced,
 *       e.g. by the budget controller) act: prune every stored chunk at or below its threshold and
 *       re-allocate (zero or random init) every pruned chunk above it. Re-allocation is gated
 *       together with pruning, as in the AdaEmbed re-implementation's "rebuild only if admits +
 *       evicts exceed 5%", so utilities that merely jitter around a threshold cause no churn.</li>
 * </ol>
 * Chunks in {@code excludedMask} (columns dropped by FIITED-2D) are neither counted nor
 * re-allocated. Decisions are collected during the visit and applied after it.
 */
public final class FiitedPass {

    private final int sampleSize;
    private final double crossingFraction;
    private final ChunkInit init;
    private final float[] samples;

    /**
     * @param sampleSize       m, utilities sampled per chunk (manual) or in total (adaptive)
     * @param crossingFraction the fraction of chunks that must cross before the pass acts, in [0, 1]
     * @param init             how re-allocated chunks are initialised
     */
    public FiitedPass(int sampleSize, double crossingFraction, ChunkInit init) {
        if (sampleSize < 1) {
            throw new IllegalArgumentException("sample size must be >= 1, got " + sampleSize);
        }
        if (!(crossingFraction >= 0 && crossingFraction <= 1)) {
            throw new IllegalArgumentException("crossing fraction must be in [0, 1], got " + crossingFraction);
        }
        this.sampleSize = sampleSize;
        this.crossingFraction = crossingFraction;
        this.init = init;
        this.samples = new float[sampleSize];
    }

    /** Result of one pass. */
    public record Result(long chunksPruned, long chunksReallocated, long crossings, long chunksVisited,
                         boolean enforced, float[] thresholds) {

        /** Crossings as a fraction of the chunks visited. */
        public double crossingFraction() {
            return chunksVisited == 0 ? 0 : (double) crossings / chunksVisited;
        }
    }

    /** Per-chunk thresholds at the given per-chunk ratios (manual mode). */
    public float[] manualThresholds(EmbeddingTable table, double[] ratios, long seed) {
        int k = table.chunkWidths().length;
        if (ratios.length != k) {
            throw new IllegalArgumentException("need " + k + " ratios, got " + ratios.length);
        }
        float[] t = new float[k];
        for (int c = 0; c < k; c++) {
            int n = table.sampleUtilities(c, sampleSize, seed + c, samples);
            t[c] = Quantiles.thresholdAt(samples, n, ratios[c]);
        }
        return t;
    }

    /** One global threshold over all chunks' sampled utilities (adaptive mode), repeated K times. */
    public float[] adaptiveThresholds(EmbeddingTable table, double ratio, long seed) {
        int k = table.chunkWidths().length;
        int n = table.sampleUtilities(-1, sampleSize, seed, samples);
        float t = Quantiles.thresholdAt(samples, n, ratio);
        float[] out = new float[k];
        Arrays.fill(out, t);
        return out;
    }

    /**
     * Counts crossings against {@code thresholds} and, if enforced, prunes and re-allocates.
     *
     * @param forced       act even if the crossings do not exceed the fraction
     * @param excludedMask chunks that are out of play (dropped columns)
     */
    public Result run(EmbeddingTable table, float[] thresholds, boolean forced, int excludedMask) {
        int k = table.chunkWidths().length;
        GrowableLongs prune = new GrowableLongs(1024);
        GrowableLongs realloc = new GrowableLongs(1024);
        long[] visited = new long[1];
        table.forEachRow(row -> {
            int mask = row.mask();
            for (int c = 0; c < k; c++) {
                if ((excludedMask & (1 << c)) != 0) {
                    continue;
                }
                visited[0]++;
                float u = row.utility(c);
                boolean stored = (mask & (1 << c)) != 0;
                if (stored && u <= thresholds[c]) {
                    prune.add(row.key());
                    prune.add(c);
                } else if (!stored && u > thresholds[c]) {
                    realloc.add(row.key());
                    realloc.add(c);
                }
            }
        });
        long crossings = (prune.size() + realloc.size()) / 2;
        boolean enforce = forced || (visited[0] > 0 && crossings > crossingFraction * visited[0]);
        if (!enforce) {
            return new Result(0, 0, crossings, visited[0], false, thresholds);
        }
        for (int i = 0; i < prune.size(); i += 2) {
            table.pruneChunk(prune.get(i), (int) prune.get(i + 1));
        }
        for (int i = 0; i < realloc.size(); i += 2) {
            table.allocateChunk(realloc.get(i), (int) realloc.get(i + 1), init);
        }
        return new Result(prune.size() / 2, realloc.size() / 2, crossings, visited[0], true, thresholds);
    }
}
