package io.inflight.store;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;

/**
 * Settings of an {@link EmbeddingStore}. Immutable; invalid values fail at construction with the
 * setting and the value in the message.
 *
 * @param layout           chunk widths (D = their sum)
 * @param defaultPrecision precision of the chunks of a new row
 * @param hotCapacity      rows kept in the hot tier; beyond it the least recently used row moves to
 *                         the cold tier (a store without a cold tier refuses rows beyond it)
 * @param seed             seed of every random draw (initialisation, stochastic rounding, sampling)
 * @param learningRate     row-wise Adagrad learning rate (embedding chunks and linear weight)
 * @param l2               L2 penalty added to every gradient ({@code g + l2·w})
 * @param adagradEps       Adagrad denominator term: {@code w -= lr·g / (sqrt(G) + eps)}
 * @param utility          FIITED Eq. 1 rule applied to every chunk of every scattered row
 * @param newRowInit       weights of a row that is not stored (first seen, or back after eviction):
 *                         ZERO (AdaEmbed) or RANDOM uniform in {@code ±initScale}
 * @param initScale        half-width of the RANDOM initialisation (also used by {@code allocateChunk})
 * @param rowAdagrad       one Adagrad accumulator per row (the mean squared gradient over the row's
 *                         stored dimensions, as FBGEMM's and AdaEmbed's row-wise Adagrad) instead of one
 *                         per chunk: 4 bytes per row instead of 4 per chunk ({@link RowSizes})
 */
public record StoreConfig(ChunkLayout layout, Precision defaultPrecision, int hotCapacity, long seed,
                          float learningRate, float l2, float adagradEps, UtilityRule utility,
                          ChunkInit newRowInit, float initScale, boolean rowAdagrad) {

    /** Settings with one Adagrad accumulator per chunk. */
    public StoreConfig(ChunkLayout layout, Precision defaultPrecision, int hotCapacity, long seed,
                       float learningRate, float l2, float adagradEps, UtilityRule utility,
                       ChunkInit newRowInit, float initScale) {
        this(layout, defaultPrecision, hotCapacity, seed, learningRate, l2, adagradEps, utility, newRowInit, initScale, false);
    }

    public StoreConfig {
        if (layout == null || defaultPrecision == null || utility == null || newRowInit == null) {
            throw new IllegalArgumentException("layout, defaultPrecision, utility and newRowInit must be set");
        }
        if (hotCapacity < 1) {
            throw new IllegalArgumentException("hotCapacity must be >= 1 row, got " + hotCapacity);
        }
        check("learningRate", learningRate, false);
        check("l2", l2, true);
        check("adagradEps", adagradEps, false);
        check("initScale", initScale, true);
    }

    private static void check(String name, float v, boolean zeroOk) {
        if (!Float.isFinite(v) || v < 0f || (!zeroOk && v == 0f)) {
            throw new IllegalArgumentException(name + " must be " + (zeroOk ? ">= 0" : "> 0") + " and finite, got " + v);
        }
    }

    /** FP32 rows, 1M hot rows, lr 0.05, no L2, eps 1e-8, utility a·g with γ = 0.9, ZERO init. */
    public static StoreConfig defaults(ChunkLayout layout) {
        return new StoreConfig(layout, Precision.FP32, 1 << 20, 42L, 0.05f, 0f, 1e-8f,
                new UtilityRule(UtilityRule.Kind.ACCESS_GRAD, 0.9f), ChunkInit.ZERO, 0.01f);
    }

    public int dim() {
        return layout.dim();
    }

    public StoreConfig withPrecision(Precision p) {
        return new StoreConfig(layout, p, hotCapacity, seed, learningRate, l2, adagradEps, utility, newRowInit, initScale, rowAdagrad);
    }

    public StoreConfig withHotCapacity(int rows) {
        return new StoreConfig(layout, defaultPrecision, rows, seed, learningRate, l2, adagradEps, utility, newRowInit, initScale, rowAdagrad);
    }

    public StoreConfig withSeed(long s) {
        return new StoreConfig(layout, defaultPrecision, hotCapacity, s, learningRate, l2, adagradEps, utility, newRowInit, initScale, rowAdagrad);
    }

    public StoreConfig withOptimizer(float lr, float l2Penalty, float eps) {
        return new StoreConfig(layout, defaultPrecision, hotCapacity, seed, lr, l2Penalty, eps, utility, newRowInit, initScale, rowAdagrad);
    }

    public StoreConfig withUtility(UtilityRule rule) {
        return new StoreConfig(layout, defaultPrecision, hotCapacity, seed, learningRate, l2, adagradEps, rule, newRowInit, initScale, rowAdagrad);
    }

    /** The same settings with one Adagrad accumulator per row ({@code true}) or per chunk. */
    public StoreConfig withRowAdagrad(boolean perRow) {
        return new StoreConfig(layout, defaultPrecision, hotCapacity, seed, learningRate, l2, adagradEps, utility, newRowInit, initScale, perRow);
    }

    public StoreConfig withInit(ChunkInit init, float scale) {
        return new StoreConfig(layout, defaultPrecision, hotCapacity, seed, learningRate, l2, adagradEps, utility, init, scale, rowAdagrad);
    }
}
