package io.inflight.policies;

import static io.inflight.policies.ConfigValidators.configName;
import static io.inflight.policies.ConfigValidators.enumName;
import static io.inflight.policies.ConfigValidators.parseEnum;

import io.inflight.policies.ConfigValidators.FiniteRange;
import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.esapn.EsapnPolicy.Baseline;
import io.inflight.policies.fiited.PruningRatios;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * Every setting of the policies, declared with its default, validator and doc in {@link #DEF} (the
 * same way as the trainer's own keys): an invalid value fails with a {@link ConfigException} naming the
 * key and the value. Build from string properties with {@link #fromMap} (keys under
 * {@code inflight.policy.}; unknown keys under that prefix are rejected, other keys ignored), start
 * from {@link #defaults()}, change one with {@link #with}. Each component is the parsed value of one
 * key, documented in {@link #DEF}; the ladder's key gives both {@code ladderLevels} and
 * {@code ladderShares}.
 *
 * @param mode              {@value #MODE}
 * @param intervalSteps     {@value #INTERVAL_STEPS}
 * @param sampleSize        {@value #SAMPLE_SIZE}
 * @param gamma             {@value #GAMMA}
 * @param utilityKind       {@value #UTILITY_KIND}
 * @param budgetBytes       {@value #BUDGET_BYTES}
 * @param budgetHeadroom    {@value #BUDGET_HEADROOM}
 * @param evictFallback     {@value #BUDGET_EVICT_FALLBACK}
 * @param seed              {@value #SEED}
 * @param fiitedRatio       {@value #FIITED_RATIO}
 * @param fiitedExponent    {@value #FIITED_EXPONENT}
 * @param crossingFraction  {@value #FIITED_CROSSING_FRACTION}
 * @param chunkInit         {@value #CHUNK_INIT}
 * @param coldStartSteps2d  {@value #FIITED2D_COLDSTART_STEPS}
 * @param dropRatio2d       {@value #FIITED2D_DROP_RATIO}
 * @param rowCapacity       {@value #ADAEMBED_CAPACITY_ROWS}
 * @param admissionCount    {@value #ADMISSION_COUNT}
 * @param sketchWidth       {@value #ADMISSION_SKETCH_WIDTH}
 * @param sketchDepth       {@value #ADMISSION_SKETCH_DEPTH}
 * @param sketchAgingPeriod {@value #ADMISSION_SKETCH_AGING}
 * @param esapnHidden       {@value #ESAPN_HIDDEN}
 * @param esapnLearningRate {@value #ESAPN_LEARNING_RATE}
 * @param esapnBuckets      {@value #ESAPN_BUCKETS}
 * @param esapnBaseline     {@value #ESAPN_BASELINE}
 * @param esapnStateSlots   {@value #ESAPN_STATE_SLOTS}
 * @param ladderLevels      {@value #PRECISION_LADDER}: the precisions, from most to fewest bits
 * @param ladderShares      {@value #PRECISION_LADDER}: the shares of all rungs but the last
 * @param sharedFraction    {@value #SHARED_FRACTION}
 * @param sharedAdaptive    {@value #SHARED_ADAPTIVE}
 * @param sharedInit        {@value #SHARED_INIT}
 */
public record PolicySettings(
        PolicyMode mode, long intervalSteps, int sampleSize, float gamma, UtilityRule.Kind utilityKind,
        long budgetBytes, double budgetHeadroom, boolean evictFallback, long seed,
        double fiitedRatio, double fiitedExponent, double crossingFraction, ChunkInit chunkInit,
        long coldStartSteps2d, double dropRatio2d,
        long rowCapacity, int admissionCount, int sketchWidth, int sketchDepth, long sketchAgingPeriod,
        int esapnHidden, float esapnLearningRate, int esapnBuckets, Baseline esapnBaseline, int esapnStateSlots,
        List<Precision> ladderLevels, List<Double> ladderShares, double sharedFraction,
        boolean sharedAdaptive, boolean sharedInit) {

    /** Precision of new rows and (re-)allocated chunks: the ladder's floor when the ladder is on, else FP32. */
    public Precision initialPrecision() {
        return mode.precision() ? ladderLevels.get(ladderLevels.size() - 1) : Precision.FP32;
    }

    public static final String PREFIX = "inflight.policy.";
    public static final String MODE = "inflight.policy.mode";
    public static final String INTERVAL_STEPS = "inflight.policy.interval.steps";
    public static final String SAMPLE_SIZE = "inflight.policy.sample.size";
    public static final String GAMMA = "inflight.policy.gamma";
    public static final String UTILITY_KIND = "inflight.policy.utility.kind";
    public static final String BUDGET_BYTES = "inflight.policy.budget.bytes";
    public static final String BUDGET_HEADROOM = "inflight.policy.budget.headroom";
    public static final String BUDGET_EVICT_FALLBACK = "inflight.policy.budget.evict.fallback";
    public static final String SEED = "inflight.policy.seed";
    public static final String FIITED_RATIO = "inflight.policy.fiited.ratio";
    public static final String FIITED_EXPONENT = "inflight.policy.fiited.exponent";
    public static final String FIITED_CROSSING_FRACTION = "inflight.policy.fiited.crossing.fraction";
    public static final String CHUNK_INIT = "inflight.policy.chunk.init";
    public static final String FIITED2D_COLDSTART_STEPS = "inflight.policy.fiited2d.coldstart.steps";
    public static final String FIITED2D_DROP_RATIO = "inflight.policy.fiited2d.drop.ratio";
    public static final String ADAEMBED_CAPACITY_ROWS = "inflight.policy.adaembed.capacity.rows";
    public static final String ADMISSION_COUNT = "inflight.policy.admission.count";
    public static final String ADMISSION_SKETCH_WIDTH = "inflight.policy.admission.sketch.width";
    public static final String ADMISSION_SKETCH_DEPTH = "inflight.policy.admission.sketch.depth";
    public static final String ADMISSION_SKETCH_AGING = "inflight.policy.admission.sketch.aging.calls";
    public static final String ESAPN_HIDDEN = "inflight.policy.esapn.hidden";
    public static final String ESAPN_LEARNING_RATE = "inflight.policy.esapn.lr";
    public static final String ESAPN_BUCKETS = "inflight.policy.esapn.buckets";
    public static final String ESAPN_BASELINE = "inflight.policy.esapn.baseline";
    public static final String ESAPN_STATE_SLOTS = "inflight.policy.esapn.state.slots";
    public static final String PRECISION_LADDER = "inflight.policy.precision.ladder";
    public static final String SHARED_FRACTION = "inflight.policy.shared.fraction";
    public static final String SHARED_ADAPTIVE = "inflight.policy.shared.adaptive";
    public static final String SHARED_INIT = "inflight.policy.shared.init";

    /** Most count-min counters (width x depth): 2^27 ints, 512 MiB. */
    public static final int MAX_SKETCH_COUNTERS = 1 << 27;
    /** Most ESAPN per-feature state slots: 2^24 (about 20 bytes each). */
    public static final int MAX_ESAPN_STATE_SLOTS = 1 << 24;

    private static final String MODES = Arrays.stream(PolicyMode.values()).map(PolicyMode::configName)
            .collect(Collectors.joining(", "));

    /** Every policy key with its type, default, validator and doc. */
    public static final ConfigDef DEF = new ConfigDef()
            .define(MODE, Type.STRING, "all", ConfigValidators.parsedBy(PolicyMode::parse, "one of " + MODES),
                    Importance.HIGH, "Which policies run.")
            .define(INTERVAL_STEPS, Type.LONG, 1000L, Range.atLeast(1), Importance.HIGH,
                    "T, training steps between policy passes (never wall clock).")
            .define(SAMPLE_SIZE, Type.INT, 4096, Range.between(16, 1 << 24), Importance.LOW,
                    "m, utilities sampled per threshold (the standard error of a ratio p read from m samples is "
                            + "sqrt(p(1-p)/m), 0.8% at m=4096).")
            .define(GAMMA, Type.DOUBLE, Double.parseDouble(Float.toString(UtilityRule.DEFAULT_GAMMA)), FiniteRange.between(0, 1).openBelow().openAbove(),
                    Importance.MEDIUM, "Utility decay per step (see UtilityRule).")
            .define(UTILITY_KIND, Type.STRING, "access-grad", enumName(UtilityRule.Kind.class), Importance.LOW,
                    "Utility of a row: access-grad or access-only.")
            .define(BUDGET_BYTES, Type.LONG, 0L, Range.atLeast(0), Importance.HIGH,
                    "The one byte budget of the embedding table; 0 = unlimited.")
            .define(BUDGET_HEADROOM, Type.DOUBLE, 0.05, FiniteRange.between(0, 0.5).openAbove(), Importance.LOW,
                    "A pass aims at budget x (1 - headroom), leaving room for one period's new rows.")
            .define(BUDGET_EVICT_FALLBACK, Type.BOOLEAN, true, Importance.LOW,
                    "Evict the lowest-utility rows when the mode's own lever cannot meet the budget.")
            .define(SEED, Type.LONG, 42L, Importance.LOW, "Seed of every sample and random draw of the policies.")
            .define(FIITED_RATIO, Type.DOUBLE, 0.5, FiniteRange.between(0, PruningRatios.CAP), Importance.MEDIUM,
                    "FIITED: target average pruning ratio (the floor under budget pressure).")
            .define(FIITED_EXPONENT, Type.DOUBLE, 0.5, FiniteRange.between(0, 4).openBelow(), Importance.LOW,
                    "FIITED: power-law exponent a of the manual ratios (FIITED uses 0.5 or 1).")
            .define(FIITED_CROSSING_FRACTION, Type.DOUBLE, 0.05, FiniteRange.between(0, 1), Importance.LOW,
                    "FIITED: fraction of chunks that must cross before a pass acts.")
            .define(CHUNK_INIT, Type.STRING, "zero", enumName(ChunkInit.class), Importance.LOW,
                    "Init of re-allocated and grown chunks: zero or random.")
            .define(FIITED2D_COLDSTART_STEPS, Type.LONG, 10_000L, Range.atLeast(0), Importance.LOW,
                    "FIITED 2D: steps before the column decision.")
            .define(FIITED2D_DROP_RATIO, Type.DOUBLE, 0.25, FiniteRange.between(0, 1).openAbove(), Importance.LOW,
                    "FIITED 2D: fraction of chunk columns dropped.")
            .define(ADAEMBED_CAPACITY_ROWS, Type.LONG, 0L, Range.atLeast(0), Importance.LOW,
                    "AdaEmbed: row capacity; 0 = from the budget only.")
            .define(ADMISSION_COUNT, Type.INT, 2, Range.atLeast(1), Importance.MEDIUM,
                    "Occurrences before a feature gets a row of its own (1 = at once).")
            .define(ADMISSION_SKETCH_WIDTH, Type.INT, 1 << 20, ConfigValidators.powerOfTwo(16, MAX_SKETCH_COUNTERS),
                    Importance.LOW, "Count-min counters per row of the admission sketch (a power of two); width x "
                            + "depth at most " + MAX_SKETCH_COUNTERS + " counters (512 MiB).")
            .define(ADMISSION_SKETCH_DEPTH, Type.INT, 4, Range.between(1, 16), Importance.LOW,
                    "Rows of the admission count-min sketch.")
            .define(ADMISSION_SKETCH_AGING, Type.LONG, 10_000_000L, Range.atLeast(0), Importance.LOW,
                    "Calls between halvings of the admission counters; 0 = never.")
            .define(ESAPN_HIDDEN, Type.INT, 32, Range.between(1, 4096), Importance.LOW,
                    "ESAPN: hidden tanh units of the growth policy net.")
            .define(ESAPN_LEARNING_RATE, Type.DOUBLE, 1e-4, FiniteRange.between(0, 1).openBelow().openAbove(),
                    Importance.LOW, "ESAPN: Adam learning rate of the growth policy net.")
            .define(ESAPN_BUCKETS, Type.INT, 16, Range.between(1, 64), Importance.LOW,
                    "ESAPN: log2 frequency buckets.")
            .define(ESAPN_BASELINE, Type.STRING, "previous", enumName(Baseline.class), Importance.LOW,
                    "ESAPN: reward baseline, previous or mean5.")
            .define(ESAPN_STATE_SLOTS, Type.INT, 1 << 18, ConfigValidators.powerOfTwo(1, MAX_ESAPN_STATE_SLOTS),
                    Importance.LOW, "ESAPN: per-feature state slots (a power of two).")
            .define(PRECISION_LADDER, Type.STRING, "fp32:0.05,fp16:0.15,int8", LadderSetting.VALIDATOR, Importance.MEDIUM,
                    "Precision ladder: precisions from most to fewest bits, every one but the last with its share "
                            + "of the rows, e.g. fp32:0.05,fp16:0.15,int8:0.3,int4.")
            .define(SHARED_FRACTION, Type.DOUBLE, 0.25, FiniteRange.between(0, 1).openAbove(), Importance.MEDIUM,
                    "Share of the budget given to shared hashed rows (CAFE), which features without a row or chunk "
                            + "of their own read and train; 0 = none. Mode hash gives them the whole budget.")
            .define(SHARED_ADAPTIVE, Type.BOOLEAN, true, Importance.LOW,
                    "Every pass re-sizes the shared rows (powers of two) to the share of accesses they served, "
                            + "between 1/16 and 3/4 of the table's budget; false keeps the shared fraction fixed.")
            .define(SHARED_INIT, Type.BOOLEAN, true, Importance.LOW,
                    "A feature admitted to a row of its own starts it from the gated shared row it read until then, "
                            + "and a chunk ESAPN grows starts from the gated shared dimensions it read (CAFE), so "
                            + "what the shared rows learned for the feature is kept; false starts them from the store's "
                            + "own initialisation and " + CHUNK_INIT + ".");

    /** Copies the ladder's lists; every other check is {@link #DEF}'s, made by {@link #fromMap}. */
    public PolicySettings {
        ladderLevels = List.copyOf(ladderLevels);
        ladderShares = List.copyOf(ladderShares);
    }

    /**
     * Fewer shared rows than this (outside mode hash) are not kept. One: even a handful pays at a
     * tiny budget (bench compression, ml-100k at 1/200 = 1,864 B, 8 shared rows where the earlier
     * minimum of 16 kept none: all -0.1588 -> -0.1387 AUC, adaembed +0.020, precision +0.023,
     * fiited-adaptive +0.057).
     */
    public static final int MIN_SHARED_ROWS = 1;

    /**
     * Bytes of one shared row of dimension {@code dim}: D int8 values, their binary16 scale, the
     * linear weight at binary16 and two 16-bit Adagrad accumulators.
     */
    public static long sharedRowBytes(int dim) {
        return dim + 2L + 2 + 4;
    }

    /**
     * H, the shared hashed rows of a table of dimension {@code dim}: the budget's share
     * ({@link #sharedFraction}, all of it in mode hash) over {@link #sharedRowBytes}; 0 without a
     * budget or in mode none.
     */
    public long sharedRows(int dim) {
        if (budgetBytes == 0 || mode == PolicyMode.NONE) {
            return 0;
        }
        double share = mode == PolicyMode.HASH ? 1.0 : sharedFraction;
        long rows = (long) (budgetBytes * share / sharedRowBytes(dim));
        if (mode != PolicyMode.HASH && rows < MIN_SHARED_ROWS) {
            return 0; // a budget this small keeps rows of their own only
        }
        if (share > 0 && rows < 1) {
            throw new IllegalArgumentException(BUDGET_BYTES + " of " + budgetBytes + " leaves no room for one shared row ("
                    + sharedRowBytes(dim) + " bytes at D = " + dim + ") with " + SHARED_FRACTION + " " + share);
        }
        rows = Math.min(rows, 1L << 26);
        // adaptive: a power of two, so that a pass can double or halve H keeping every key's row
        return sharedAdaptive && mode != PolicyMode.HASH && rows > 0 ? Long.highestOneBit(rows) : rows;
    }

    /** The defaults (mode all, T = 1000 steps, m = 4096, gamma 0.999, no budget, ...). */
    public static PolicySettings defaults() {
        return fromMap(Map.of());
    }

    /**
     * Settings from string properties; missing keys take their defaults.
     *
     * @throws ConfigException naming the key and the value of an unknown or invalid setting
     */
    public static PolicySettings fromMap(Map<String, String> properties) {
        Map<String, String> p = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (e.getKey().startsWith(PREFIX)) {
                if (!DEF.names().contains(e.getKey())) {
                    throw new ConfigException("unknown policy setting '" + e.getKey() + "' (value '"
                            + e.getValue() + "'); known keys: " + keys());
                }
                p.put(e.getKey(), e.getValue());
            }
        }
        Map<String, Object> v = DEF.parse(p);
        int sketchWidth = (Integer) v.get(ADMISSION_SKETCH_WIDTH);
        int sketchDepth = (Integer) v.get(ADMISSION_SKETCH_DEPTH);
        if (sketchWidth > MAX_SKETCH_COUNTERS / sketchDepth) {
            throw new ConfigException(ADMISSION_SKETCH_WIDTH, sketchWidth, "times " + ADMISSION_SKETCH_DEPTH + " ("
                    + sketchDepth + ") must be at most " + MAX_SKETCH_COUNTERS + " counters (512 MiB)");
        }
        PolicyMode mode = PolicyMode.parse((String) v.get(MODE));
        long budget = (Long) v.get(BUDGET_BYTES);
        if (mode == PolicyMode.HASH && budget == 0) {
            throw new ConfigException(BUDGET_BYTES, budget, "must be > 0 in mode hash (the hashed table is the budget's size)");
        }
        LadderSetting ladder = LadderSetting.parse((String) v.get(PRECISION_LADDER));
        return new PolicySettings(mode,
                (Long) v.get(INTERVAL_STEPS), (Integer) v.get(SAMPLE_SIZE), toFloat(v, GAMMA),
                parseEnum((String) v.get(UTILITY_KIND), UtilityRule.Kind.class),
                budget, (Double) v.get(BUDGET_HEADROOM), (Boolean) v.get(BUDGET_EVICT_FALLBACK), (Long) v.get(SEED),
                (Double) v.get(FIITED_RATIO), (Double) v.get(FIITED_EXPONENT), (Double) v.get(FIITED_CROSSING_FRACTION),
                parseEnum((String) v.get(CHUNK_INIT), ChunkInit.class),
                (Long) v.get(FIITED2D_COLDSTART_STEPS), (Double) v.get(FIITED2D_DROP_RATIO),
                (Long) v.get(ADAEMBED_CAPACITY_ROWS), (Integer) v.get(ADMISSION_COUNT), sketchWidth, sketchDepth,
                (Long) v.get(ADMISSION_SKETCH_AGING),
                (Integer) v.get(ESAPN_HIDDEN), toFloat(v, ESAPN_LEARNING_RATE), (Integer) v.get(ESAPN_BUCKETS),
                parseEnum((String) v.get(ESAPN_BASELINE), Baseline.class), (Integer) v.get(ESAPN_STATE_SLOTS),
                ladder.levels(), ladder.shares(), (Double) v.get(SHARED_FRACTION), (Boolean) v.get(SHARED_ADAPTIVE),
                (Boolean) v.get(SHARED_INIT));
    }

    /** A float-valued key: its key's validator holds for the value rounded to a float too (0.99999999 is 1 as a float). */
    private static float toFloat(Map<String, Object> values, String key) {
        float f = ((Double) values.get(key)).floatValue();
        DEF.configKeys().get(key).validator.ensureValid(key, (double) f);
        return f;
    }

    /** These settings as string properties (round-trips through {@link #fromMap}). */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MODE, mode.configName());
        m.put(INTERVAL_STEPS, Long.toString(intervalSteps));
        m.put(SAMPLE_SIZE, Integer.toString(sampleSize));
        m.put(GAMMA, Float.toString(gamma));
        m.put(UTILITY_KIND, configName(utilityKind));
        m.put(BUDGET_BYTES, Long.toString(budgetBytes));
        m.put(BUDGET_HEADROOM, Double.toString(budgetHeadroom));
        m.put(BUDGET_EVICT_FALLBACK, Boolean.toString(evictFallback));
        m.put(SEED, Long.toString(seed));
        m.put(FIITED_RATIO, Double.toString(fiitedRatio));
        m.put(FIITED_EXPONENT, Double.toString(fiitedExponent));
        m.put(FIITED_CROSSING_FRACTION, Double.toString(crossingFraction));
        m.put(CHUNK_INIT, configName(chunkInit));
        m.put(FIITED2D_COLDSTART_STEPS, Long.toString(coldStartSteps2d));
        m.put(FIITED2D_DROP_RATIO, Double.toString(dropRatio2d));
        m.put(ADAEMBED_CAPACITY_ROWS, Long.toString(rowCapacity));
        m.put(ADMISSION_COUNT, Integer.toString(admissionCount));
        m.put(ADMISSION_SKETCH_WIDTH, Integer.toString(sketchWidth));
        m.put(ADMISSION_SKETCH_DEPTH, Integer.toString(sketchDepth));
        m.put(ADMISSION_SKETCH_AGING, Long.toString(sketchAgingPeriod));
        m.put(ESAPN_HIDDEN, Integer.toString(esapnHidden));
        m.put(ESAPN_LEARNING_RATE, Float.toString(esapnLearningRate));
        m.put(ESAPN_BUCKETS, Integer.toString(esapnBuckets));
        m.put(ESAPN_BASELINE, configName(esapnBaseline));
        m.put(ESAPN_STATE_SLOTS, Integer.toString(esapnStateSlots));
        m.put(PRECISION_LADDER, new LadderSetting(ladderLevels, ladderShares).toString());
        m.put(SHARED_FRACTION, Double.toString(sharedFraction));
        m.put(SHARED_ADAPTIVE, Boolean.toString(sharedAdaptive));
        m.put(SHARED_INIT, Boolean.toString(sharedInit));
        return m;
    }

    /** A copy with {@code key} set to {@code value} (validated like {@link #fromMap}). */
    public PolicySettings with(String key, String value) {
        Map<String, String> m = toMap();
        if (!m.containsKey(key)) {
            throw new ConfigException("unknown policy setting '" + key + "' (value '" + value + "')");
        }
        m.put(key, value);
        return fromMap(m);
    }

    /** All known keys, in the order of {@link #DEF}. */
    public static Set<String> keys() {
        return DEF.names();
    }

    /** The utility rule these settings describe. */
    public UtilityRule utilityRule() {
        return new UtilityRule(utilityKind, gamma);
    }
}
