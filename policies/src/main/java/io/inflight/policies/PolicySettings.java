package io.inflight.policies;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.esapn.EsapnPolicy.Baseline;
import io.inflight.policies.fiited.PruningRatios;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Every setting of the policies, validated at construction: an invalid value fails with an
 * {@link IllegalArgumentException} naming the key and the value. Build from string properties with
 * {@link #fromMap} (keys under {@code inflight.policy.}; unknown keys under that prefix are
 * rejected, other keys ignored), start from {@link #defaults()}, change one with {@link #with}.
 *
 * @param mode                {@value #MODE}: which policies run
 * @param intervalSteps       {@value #INTERVAL_STEPS}: T, training steps between passes (never wall clock)
 * @param sampleSize          {@value #SAMPLE_SIZE}: m, utilities sampled per threshold (the standard error
 *                            of a ratio {@code p} read from m samples is {@code sqrt(p(1-p)/m)}, 0.8% at m=4096)
 * @param gamma               {@value #GAMMA}: utility decay per step, see {@link UtilityRule}
 * @param utilityKind         {@value #UTILITY_KIND}: access-grad or access-only
 * @param budgetBytes         {@value #BUDGET_BYTES}: the one byte budget of the table, 0 = unlimited
 * @param budgetHeadroom      {@value #BUDGET_HEADROOM}: a pass aims at budget * (1 - headroom), leaving room
 *                            for one period's new rows
 * @param evictFallback       {@value #BUDGET_EVICT_FALLBACK}: evict lowest-utility rows when the mode's own lever
 *                            cannot meet the budget
 * @param seed                {@value #SEED}: seed of every sample and random draw
 * @param fiitedRatio         {@value #FIITED_RATIO}: target average pruning ratio (the floor under budget pressure)
 * @param fiitedExponent      {@value #FIITED_EXPONENT}: power-law exponent a of the manual ratios (0.5 or 1)
 * @param crossingFraction    {@value #FIITED_CROSSING_FRACTION}: fraction of chunks that must cross before a pass
 *                            acts
 * @param chunkInit           {@value #CHUNK_INIT}: zero or random init of re-allocated and grown chunks
 * @param coldStartSteps2d    {@value #FIITED2D_COLDSTART_STEPS}: steps before the 2D column decision
 * @param dropRatio2d         {@value #FIITED2D_DROP_RATIO}: fraction of chunk columns dropped by 2D pruning
 * @param rowCapacity         {@value #ADAEMBED_CAPACITY_ROWS}: AdaEmbed row capacity, 0 = from the budget only
 * @param admissionCount      {@value #ADMISSION_COUNT}: occurrences before a feature gets a row (1 = at once)
 * @param sketchWidth         {@value #ADMISSION_SKETCH_WIDTH}: count-min counters per row (power of two)
 * @param sketchDepth         {@value #ADMISSION_SKETCH_DEPTH}: count-min rows
 * @param sketchAgingPeriod   {@value #ADMISSION_SKETCH_AGING}: calls between counter halvings, 0 = never
 * @param esapnHidden         {@value #ESAPN_HIDDEN}: hidden tanh units of the growth policy net
 * @param esapnLearningRate   {@value #ESAPN_LEARNING_RATE}: its Adam learning rate
 * @param esapnBuckets        {@value #ESAPN_BUCKETS}: log2 frequency buckets
 * @param esapnBaseline       {@value #ESAPN_BASELINE}: previous or mean5
 * @param esapnStateSlots     {@value #ESAPN_STATE_SLOTS}: per-feature state slots (power of two)
 * @param ladderLevels        {@value #PRECISION_LADDER}: precisions from most to fewest bits
 * @param ladderShares        shares of all rungs but the last (same key, e.g. {@code fp32:0.05,fp16:0.15,int8:0.3,int4})
 * @param sharedFraction      {@value #SHARED_FRACTION}: share of the budget given to shared hashed rows (CAFE), which
 *                            features without a row or chunk of their own read and train; 0 = none. Mode
 *                            {@code hash} gives them the whole budget.
 * @param sharedAdaptive      {@value #SHARED_ADAPTIVE}: every pass re-sizes the shared rows (powers of two) to the
 *                            share of accesses they served, between 1/16 and 3/4 of the table's budget; false keeps
 *                            {@code sharedFraction} fixed
 */
public record PolicySettings(
        PolicyMode mode, long intervalSteps, int sampleSize, float gamma, UtilityRule.Kind utilityKind,
        long budgetBytes, double budgetHeadroom, boolean evictFallback, long seed,
        double fiitedRatio, double fiitedExponent, double crossingFraction, ChunkInit chunkInit,
        long coldStartSteps2d, double dropRatio2d,
        long rowCapacity, int admissionCount, int sketchWidth, int sketchDepth, long sketchAgingPeriod,
        int esapnHidden, float esapnLearningRate, int esapnBuckets, Baseline esapnBaseline, int esapnStateSlots,
        List<Precision> ladderLevels, List<Double> ladderShares, double sharedFraction,
        boolean sharedAdaptive) {

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

    private static final Map<String, String> DEFAULTS = defaultMap();

    /** Most count-min counters (width x depth): 2^27 ints, 512 MiB. */
    public static final int MAX_SKETCH_COUNTERS = 1 << 27;
    /** Most ESAPN per-feature state slots: 2^24 (about 20 bytes each). */
    public static final int MAX_ESAPN_STATE_SLOTS = 1 << 24;

    public PolicySettings {
        require(mode != null, MODE, null, "must be set");
        require(intervalSteps >= 1, INTERVAL_STEPS, intervalSteps, "must be >= 1");
        require(sampleSize >= 16 && sampleSize <= 1 << 24, SAMPLE_SIZE, sampleSize, "must be in [16, 16777216]");
        require(gamma > 0 && gamma < 1, GAMMA, gamma, "must be in (0, 1)");
        require(utilityKind != null, UTILITY_KIND, null, "must be set");
        require(budgetBytes >= 0, BUDGET_BYTES, budgetBytes, "must be >= 0 (0 = unlimited)");
        require(budgetHeadroom >= 0 && budgetHeadroom < 0.5, BUDGET_HEADROOM, budgetHeadroom, "must be in [0, 0.5)");
        require(fiitedRatio >= 0 && fiitedRatio <= PruningRatios.CAP, FIITED_RATIO, fiitedRatio,
                "must be in [0, 0.95]");
        require(fiitedExponent > 0 && fiitedExponent <= 4, FIITED_EXPONENT, fiitedExponent,
                "must be in (0, 4] (FIITED uses 0.5 or 1)");
        require(crossingFraction >= 0 && crossingFraction <= 1, FIITED_CROSSING_FRACTION, crossingFraction,
                "must be in [0, 1]");
        require(chunkInit != null, CHUNK_INIT, null, "must be zero or random");
        require(coldStartSteps2d >= 0, FIITED2D_COLDSTART_STEPS, coldStartSteps2d, "must be >= 0");
        require(dropRatio2d >= 0 && dropRatio2d < 1, FIITED2D_DROP_RATIO, dropRatio2d, "must be in [0, 1)");
        require(rowCapacity >= 0, ADAEMBED_CAPACITY_ROWS, rowCapacity, "must be >= 0 (0 = from the budget)");
        require(admissionCount >= 1, ADMISSION_COUNT, admissionCount, "must be >= 1");
        require(sketchWidth >= 16 && Integer.bitCount(sketchWidth) == 1, ADMISSION_SKETCH_WIDTH, sketchWidth,
                "must be a power of two >= 16");
        require(sketchDepth >= 1 && sketchDepth <= 16, ADMISSION_SKETCH_DEPTH, sketchDepth, "must be in [1, 16]");
        require(sketchWidth <= MAX_SKETCH_COUNTERS / sketchDepth, ADMISSION_SKETCH_WIDTH, sketchWidth,
                "times " + ADMISSION_SKETCH_DEPTH + " (" + sketchDepth + ") must be at most " + MAX_SKETCH_COUNTERS
                        + " counters (512 MiB)");
        require(sketchAgingPeriod >= 0, ADMISSION_SKETCH_AGING, sketchAgingPeriod, "must be >= 0 (0 = never)");
        require(esapnHidden >= 1 && esapnHidden <= 4096, ESAPN_HIDDEN, esapnHidden, "must be in [1, 4096]");
        require(esapnLearningRate > 0 && esapnLearningRate < 1, ESAPN_LEARNING_RATE, esapnLearningRate,
                "must be in (0, 1)");
        require(esapnBuckets >= 1 && esapnBuckets <= 64, ESAPN_BUCKETS, esapnBuckets, "must be in [1, 64]");
        require(esapnBaseline != null, ESAPN_BASELINE, null, "must be previous or mean5");
        require(esapnStateSlots >= 1 && esapnStateSlots <= MAX_ESAPN_STATE_SLOTS && Integer.bitCount(esapnStateSlots) == 1,
                ESAPN_STATE_SLOTS, esapnStateSlots, "must be a power of two <= " + MAX_ESAPN_STATE_SLOTS);
        require(ladderLevels != null && !ladderLevels.isEmpty() && ladderShares != null
                        && ladderShares.size() == ladderLevels.size() - 1,
                PRECISION_LADDER, ladderLevels, "needs levels and one share for every level but the last");
        double sum = 0;
        for (int i = 0; i < ladderLevels.size(); i++) {
            require(i == 0 || ladderLevels.get(i).bits() < ladderLevels.get(i - 1).bits(), PRECISION_LADDER,
                    ladderLevels, "levels must have strictly decreasing bits");
        }
        for (double s : ladderShares) {
            require(s >= 0 && s <= 1, PRECISION_LADDER, ladderShares, "shares must be in [0, 1]");
            sum += s;
        }
        require(sum <= 1 + 1e-9, PRECISION_LADDER, ladderShares, "shares must sum to <= 1");
        ladderLevels = List.copyOf(ladderLevels);
        ladderShares = List.copyOf(ladderShares);
        require(sharedFraction >= 0 && sharedFraction < 1, SHARED_FRACTION, sharedFraction, "must be in [0, 1)");
        require(mode != PolicyMode.HASH || budgetBytes > 0, BUDGET_BYTES, budgetBytes,
                "must be > 0 in mode hash (the hashed table is the budget's size)");
    }

    /** Fewer shared rows than this (outside mode hash) are not worth their bytes: none are kept. */
    public static final int MIN_SHARED_ROWS = 16;

    /** Bytes of one shared row of dimension {@code dim}: D values and the linear weight at binary16, two fp32 accumulators. */
    public static long sharedRowBytes(int dim) {
        return 2L * (dim + 1) + 8;
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

    /** Settings from string properties; missing keys take their defaults. */
    public static PolicySettings fromMap(Map<String, String> properties) {
        Map<String, String> p = new LinkedHashMap<>(DEFAULTS);
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (e.getKey().startsWith(PREFIX)) {
                if (!DEFAULTS.containsKey(e.getKey())) {
                    throw new IllegalArgumentException("unknown policy setting '" + e.getKey() + "' (value '"
                            + e.getValue() + "'); known keys: " + DEFAULTS.keySet());
                }
                p.put(e.getKey(), e.getValue());
            }
        }
        String ladder = p.get(PRECISION_LADDER);
        List<Precision> levels = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        parseLadder(ladder, levels, shares);
        return new PolicySettings(
                PolicyMode.parse(p.get(MODE)),
                parseLong(p, INTERVAL_STEPS), parseInt(p, SAMPLE_SIZE), parseFloat(p, GAMMA),
                parseEnum(p, UTILITY_KIND, UtilityRule.Kind.class),
                parseLong(p, BUDGET_BYTES), parseDouble(p, BUDGET_HEADROOM), parseBoolean(p, BUDGET_EVICT_FALLBACK),
                parseLong(p, SEED),
                parseDouble(p, FIITED_RATIO), parseDouble(p, FIITED_EXPONENT), parseDouble(p, FIITED_CROSSING_FRACTION),
                parseEnum(p, CHUNK_INIT, ChunkInit.class),
                parseLong(p, FIITED2D_COLDSTART_STEPS), parseDouble(p, FIITED2D_DROP_RATIO),
                parseLong(p, ADAEMBED_CAPACITY_ROWS), parseInt(p, ADMISSION_COUNT),
                parseInt(p, ADMISSION_SKETCH_WIDTH), parseInt(p, ADMISSION_SKETCH_DEPTH),
                parseLong(p, ADMISSION_SKETCH_AGING),
                parseInt(p, ESAPN_HIDDEN), parseFloat(p, ESAPN_LEARNING_RATE),
                parseInt(p, ESAPN_BUCKETS), parseEnum(p, ESAPN_BASELINE, Baseline.class),
                parseInt(p, ESAPN_STATE_SLOTS),
                levels, shares, parseDouble(p, SHARED_FRACTION), parseBoolean(p, SHARED_ADAPTIVE));
    }

    /** These settings as string properties (round-trips through {@link #fromMap}). */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MODE, mode.configName());
        m.put(INTERVAL_STEPS, Long.toString(intervalSteps));
        m.put(SAMPLE_SIZE, Integer.toString(sampleSize));
        m.put(GAMMA, Float.toString(gamma));
        m.put(UTILITY_KIND, utilityKind.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        m.put(BUDGET_BYTES, Long.toString(budgetBytes));
        m.put(BUDGET_HEADROOM, Double.toString(budgetHeadroom));
        m.put(BUDGET_EVICT_FALLBACK, Boolean.toString(evictFallback));
        m.put(SEED, Long.toString(seed));
        m.put(FIITED_RATIO, Double.toString(fiitedRatio));
        m.put(FIITED_EXPONENT, Double.toString(fiitedExponent));
        m.put(FIITED_CROSSING_FRACTION, Double.toString(crossingFraction));
        m.put(CHUNK_INIT, chunkInit.name().toLowerCase(Locale.ROOT));
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
        m.put(ESAPN_BASELINE, esapnBaseline.name().toLowerCase(Locale.ROOT));
        m.put(ESAPN_STATE_SLOTS, Integer.toString(esapnStateSlots));
        StringBuilder ladder = new StringBuilder();
        for (int i = 0; i < ladderLevels.size(); i++) {
            if (i > 0) {
                ladder.append(',');
            }
            ladder.append(ladderLevels.get(i).name().toLowerCase(Locale.ROOT));
            if (i < ladderShares.size()) {
                ladder.append(':').append(ladderShares.get(i));
            }
        }
        m.put(PRECISION_LADDER, ladder.toString());
        m.put(SHARED_FRACTION, Double.toString(sharedFraction));
        m.put(SHARED_ADAPTIVE, Boolean.toString(sharedAdaptive));
        return m;
    }

    /** A copy with {@code key} set to {@code value} (validated like {@link #fromMap}). */
    public PolicySettings with(String key, String value) {
        Map<String, String> m = toMap();
        if (!m.containsKey(key)) {
            throw new IllegalArgumentException("unknown policy setting '" + key + "' (value '" + value + "')");
        }
        m.put(key, value);
        return fromMap(m);
    }

    /** All known keys. */
    public static Set<String> keys() {
        return DEFAULTS.keySet();
    }

    /** The utility rule these settings describe. */
    public UtilityRule utilityRule() {
        return new UtilityRule(utilityKind, gamma);
    }

    private static Map<String, String> defaultMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MODE, "all");
        m.put(INTERVAL_STEPS, "1000");
        m.put(SAMPLE_SIZE, "4096");
        m.put(GAMMA, Float.toString(UtilityRule.DEFAULT_GAMMA));
        m.put(UTILITY_KIND, "access-grad");
        m.put(BUDGET_BYTES, "0");
        m.put(BUDGET_HEADROOM, "0.05");
        m.put(BUDGET_EVICT_FALLBACK, "true");
        m.put(SEED, "42");
        m.put(FIITED_RATIO, "0.5");
        m.put(FIITED_EXPONENT, "0.5");
        m.put(FIITED_CROSSING_FRACTION, "0.05");
        m.put(CHUNK_INIT, "zero");
        m.put(FIITED2D_COLDSTART_STEPS, "10000");
        m.put(FIITED2D_DROP_RATIO, "0.25");
        m.put(ADAEMBED_CAPACITY_ROWS, "0");
        m.put(ADMISSION_COUNT, "2");
        m.put(ADMISSION_SKETCH_WIDTH, "1048576");
        m.put(ADMISSION_SKETCH_DEPTH, "4");
        m.put(ADMISSION_SKETCH_AGING, "10000000");
        m.put(ESAPN_HIDDEN, "32");
        m.put(ESAPN_LEARNING_RATE, "1.0E-4");
        m.put(ESAPN_BUCKETS, "16");
        m.put(ESAPN_BASELINE, "previous");
        m.put(ESAPN_STATE_SLOTS, "262144");
        m.put(PRECISION_LADDER, "fp32:0.05,fp16:0.15,int8");
        m.put(SHARED_FRACTION, "0.25");
        m.put(SHARED_ADAPTIVE, "true");
        return java.util.Collections.unmodifiableMap(m);
    }

    private static void require(boolean ok, String key, Object value, String requirement) {
        if (!ok) {
            throw new IllegalArgumentException(key + " " + requirement + ", got " + value);
        }
    }

    private static long parseLong(Map<String, String> p, String key) {
        String v = p.get(key).trim().replace("_", "");
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + p.get(key) + "'", e);
        }
    }

    /** An int-valued key: a value outside the int range is refused, never wrapped round by a cast. */
    private static int parseInt(Map<String, String> p, String key) {
        long v = parseLong(p, key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(key + " must be at most " + Integer.MAX_VALUE + ", got '" + p.get(key) + "'");
        }
        return (int) v;
    }

    /** A finite number: NaN and the infinities are refused naming the key (every range check is false for NaN). */
    private static double parseDouble(Map<String, String> p, String key) {
        double v;
        try {
            v = Double.parseDouble(p.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + p.get(key) + "'", e);
        }
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(key + " must be a finite number, got '" + p.get(key) + "'");
        }
        return v;
    }

    /** A float-valued key: finite as a float too (1e39 is finite as a double, infinite as a float). */
    private static float parseFloat(Map<String, String> p, String key) {
        double v = parseDouble(p, key);
        if (!Float.isFinite((float) v)) {
            throw new IllegalArgumentException(key + " must be a finite number, got '" + p.get(key) + "'");
        }
        return (float) v;
    }

    private static boolean parseBoolean(Map<String, String> p, String key) {
        String v = p.get(key).trim().toLowerCase(Locale.ROOT);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got '" + p.get(key) + "'");
        }
        return v.equals("true");
    }

    private static <E extends Enum<E>> E parseEnum(Map<String, String> p, String key, Class<E> type) {
        String v = p.get(key).trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(v)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw new IllegalArgumentException(key + " must be one of " + names + ", got '" + p.get(key) + "'");
    }

    private static void parseLadder(String value, List<Precision> levels, List<Double> shares) {
        String[] parts = value.split(",");
        for (int i = 0; i < parts.length; i++) {
            String[] kv = parts[i].trim().split(":");
            boolean last = i == parts.length - 1;
            if (kv.length != (last ? 1 : 2)) {
                throw new IllegalArgumentException(PRECISION_LADDER + " must look like fp32:0.05,fp16:0.15,int8:0.3,int4"
                        + " (every level but the last with a share), got '" + value + "'");
            }
            try {
                levels.add(Precision.valueOf(kv[0].trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PRECISION_LADDER + " has unknown precision '" + kv[0].trim()
                        + "' in '" + value + "'", e);
            }
            if (!last) {
                try {
                    double share = Double.parseDouble(kv[1].trim());
                    if (!Double.isFinite(share)) {
                        throw new IllegalArgumentException(PRECISION_LADDER + " has a share that is not a finite number, '"
                                + kv[1].trim() + "' in '" + value + "'");
                    }
                    if (share < 0 || share > 1) {
                        throw new IllegalArgumentException(PRECISION_LADDER + " has a share outside [0, 1], '"
                                + kv[1].trim() + "' in '" + value + "'");
                    }
                    shares.add(share);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(PRECISION_LADDER + " has a share that is not a number, '"
                            + kv[1].trim() + "' in '" + value + "'", e);
                }
            }
        }
    }
}
