package io.inflight.policies;

import io.inflight.policies.adaembed.AdaEmbedEviction;
import io.inflight.policies.adaembed.AdmissionSketch;
import io.inflight.policies.budget.BudgetController;
import io.inflight.policies.budget.GrowthExchange;
import io.inflight.policies.budget.Lever;
import io.inflight.policies.budget.SharedSizing;
import io.inflight.policies.budget.Shedder;
import io.inflight.policies.esapn.EsapnPolicy;
import io.inflight.policies.fiited.DimensionPruner;
import io.inflight.policies.fiited.FiitedPass;
import io.inflight.policies.fiited.GradientSquareImportance;
import io.inflight.policies.fiited.PruningRatios;
import io.inflight.policies.precision.PrecisionLadder;
import io.inflight.policies.util.SplitMix64;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * The entry point the trainer drives: per access {@link #admit}, per batch {@link #observeFeature}
 * and {@link #endBatch}, and every {@code T} steps {@link #runPass}. Statistics in, decisions out:
 * everything goes through {@link EmbeddingTable}; the runner holds no rows.
 *
 * <p><b>Trainer contract.</b>
 * <ol>
 *   <li>For a feature without a row, call {@link #admit(long)}; create its row (mask
 *       {@link #initialMask()}, precision {@link #initialPrecision()}, zero weights) only when it
 *       returns true, otherwise read its gated shared row without training it (zeros without
 *       shared rows). Under a budget, leave {@link #reservedGrowthBytes()} free for growth.</li>
 *   <li>If {@link #growthEnabled()}, after a batch's forward pass call {@link #observeFeature} for
 *       each (feature, its loss) of the batch, then {@link #endBatch()} once.</li>
 *   <li>If {@link #needsDimensionImportance()}, add each scattered row gradient to
 *       {@link #dimensionImportance()}.</li>
 *   <li>When {@link #isPassDue(long)} (every {@code inflight.policy.interval.steps} steps), call
 *       {@link #runPass(EmbeddingTable, long)} between steps.</li>
 * </ol>
 *
 * <p><b>A pass</b>, in order: budget plan ({@link BudgetController}); AdaEmbed eviction to the row
 * capacity; FIITED-2D column drop (once, after the cold start); FIITED thresholds, crossing check,
 * prune and re-allocate (not in mode all); precision ladder; budget enforcement on the lowest-utility
 * units with the mode's lever (adaembed, all: evict rows; fiited-*: prune chunks; esapn: drop a row's
 * last chunk; precision: demote to the ladder floor), then, if that cannot reach the target and
 * {@code inflight.policy.budget.evict.fallback} is on, evicting rows; in mode all, growth paid for
 * by evicting colder rows ({@link GrowthExchange}); finally the ESAPN growth allowance for the next
 * period. In mode {@code none} a pass only reports.
 *
 * <p>Not thread-safe: one runner per table, called from the trainer's thread.
 */
public final class PolicyRunner {

    private static final Precision[] PRECISIONS = Precision.values();

    private final PolicySettings settings;
    private final PolicyMode mode;
    private final int[] widths;
    private final int k;
    private final int fields;
    private final BudgetController budget;
    private final AdmissionSketch sketch;
    private final AdaEmbedEviction eviction;
    private final FiitedPass fiited;
    private final PrecisionLadder ladder;
    private final EsapnPolicy esapn;
    private final GradientSquareImportance importance;
    private final Shedder shedder;
    private final GrowthExchange exchange = new GrowthExchange();

    private int droppedMask;
    private long lastPassStep;
    private long passes;
    private long admittedSinceLastPass;
    private long grownAtLastPass;
    private long blockedAtLastPass;

    /**
     * @param settings    validated settings
     * @param chunkWidths the table's chunk widths (K of them, K <= 31)
     * @param fields      number of feature fields (one growth policy net each)
     */
    public PolicyRunner(PolicySettings settings, int[] chunkWidths, int fields) {
        this.settings = settings;
        this.mode = settings.mode();
        this.widths = chunkWidths.clone();
        this.k = widths.length;
        this.fields = fields;
        if (k < 1 || k > 31) {
            throw new IllegalArgumentException("chunk count must be in [1, 31], got " + k);
        }
        int levers = (mode.eviction() ? 1 : 0) + (mode.fiited() ? 1 : 0) + (mode.precision() ? 1 : 0);
        // Admitting at the first occurrence needs no counts: keep the sketch minimal then.
        boolean counting = mode.admission() && settings.admissionCount() > 1;
        long limited = StateSizes.limitedBudget(settings);
        int[] sizes = StateSizes.of(settings);
        int sketchWidth = sizes[0];
        int sketchDepth = sizes[1];
        int stateSlots = sizes[2];
        this.sketch = new AdmissionSketch(counting ? settings.admissionCount() : 1, sketchWidth, sketchDepth,
                settings.sketchAgingPeriod(), SplitMix64.at(settings.seed(), 1));
        this.eviction = new AdaEmbedEviction(settings.sampleSize());
        this.fiited = new FiitedPass(settings.sampleSize(), settings.crossingFraction(), settings.chunkInit());
        this.ladder = new PrecisionLadder(settings.ladderLevels().toArray(new Precision[0]),
                settings.ladderShares().stream().mapToDouble(Double::doubleValue).toArray(), settings.sampleSize());
        this.esapn = new EsapnPolicy(fields, k, settings.esapnBuckets(), settings.esapnHidden(),
                settings.esapnLearningRate(), settings.esapnBaseline(), settings.chunkInit(),
                stateSlots, initialPrecision(), SplitMix64.at(settings.seed(), 2));
        esapn.setInitFromShared(settings.sharedInit());
        esapn.setHoldBlocked(paysGrowth());
        // the table gets what the policies' state leaves of the budget
        long state = limited > 0 ? stateBytes() : 0;
        if (limited > 0 && limited - state < limited / 2) {
            throw new IllegalArgumentException(PolicySettings.BUDGET_BYTES + " of " + limited + " leaves less than half for "
                    + "the table after the policies' state (" + state + " bytes)");
        }
        this.budget = new BudgetController(limited == 0 ? 0 : limited - state,
                settings.budgetHeadroom(), settings.fiitedRatio(), Math.max(1, levers));
        this.importance = new GradientSquareImportance(Arrays.stream(widths).sum());
        this.shedder = new Shedder(settings.sampleSize());
        if (budget.limited()) {
            esapn.setGrowthAllowance(budget.targetBytes());
        }
    }

    public PolicySettings settings() {
        return settings;
    }

    /** {@link #stateBytes()} of a runner with settings {@code s}, without making one (for checks at start). */
    public static long plannedStateBytes(PolicySettings s) {
        return StateSizes.plannedBytes(s);
    }

    /**
     * What the policies keep per feature besides the table: the admission sketch's counters and
     * ESAPN's per-feature slots. Under a budget it is part of it: the table may use
     * {@link #tableBudgetBytes()}.
     */
    public long stateBytes() {
        return plannedStateBytes(settings); // what the constructor allocated; unused minimums not counted
    }

    /** The bytes the table (rows, metadata, shared rows) may hold: the budget less the policies' state; 0 = unlimited. */
    public long tableBudgetBytes() {
        return budget.budgetBytes();
    }

    /** Bytes the last pass granted to rows' growth, not yet taken up: new rows must leave them free. */
    public long reservedGrowthBytes() {
        return esapn.reservedBytes();
    }

    /**
     * Whether a pass pays for growth by evicting rows ({@link GrowthExchange}): growth and row
     * eviction both on (mode all). Then the shared rows' traffic counts a stored row's chunks not
     * grown yet as its own: they are the exchange's choice, not a want of room.
     */
    public boolean paysGrowth() {
        return mode.growth() && mode.eviction();
    }

    /** The utility rule the store should apply on every scatter. */
    public UtilityRule utilityRule() {
        return settings.utilityRule();
    }

    // ------------------------------------------------------------------ per access / per batch

    /**
     * Frequency admission for a feature that has no row: counts one occurrence and returns whether
     * the trainer may create its row now. Always true in modes without admission.
     */
    public boolean admit(long key) {
        if (mode == PolicyMode.HASH) {
            return false; // every feature reads its shared row
        }
        boolean ok = sketch.admit(key);
        if (ok) {
            admittedSinceLastPass++;
        }
        return ok;
    }

    /** Chunks a new row starts with: only chunk 0 when growth is on, else all (minus dropped columns). */
    public int initialMask() {
        if (mode.growth()) {
            return 1;
        }
        int all = (1 << k) - 1;
        int m = all & ~droppedMask;
        return m == 0 ? 1 : m;
    }

    /** Precision of new rows and (re-)allocated chunks: the ladder floor when the ladder is on, else FP32. */
    public Precision initialPrecision() {
        return settings.initialPrecision();
    }

    /** Whether the trainer should call {@link #observeFeature}. */
    public boolean growthEnabled() {
        return mode.growth();
    }

    /**
     * ESAPN: reports a feature of the current batch and its loss; may grow its row by one chunk.
     *
     * @param mask the row's current chunk mask
     * @return true when the row grew
     */
    public boolean observeFeature(EmbeddingTable table, long key, int field, long frequency, int mask, float loss) {
        if (!mode.growth()) {
            return false;
        }
        return esapn.observe(table, key, field, frequency, mask, loss);
    }

    /** ESAPN: one policy-network update per batch. */
    public void endBatch() {
        if (mode.growth()) {
            esapn.endBatch();
        }
    }

    /** Whether the trainer should feed {@link #dimensionImportance()}. */
    public boolean needsDimensionImportance() {
        return mode == PolicyMode.FIITED_2D && droppedMask == 0;
    }

    /** FIITED-2D's per-dimension importance (sum of squared gradients), fed by the trainer. */
    public GradientSquareImportance dimensionImportance() {
        return importance;
    }

    /** Chunk columns dropped by FIITED-2D (0 until decided). */
    public int droppedColumns() {
        return droppedMask;
    }

    public BudgetController budget() {
        return budget;
    }

    /** The growth policy (for inspection and tests). */
    public EsapnPolicy growthPolicy() {
        return esapn;
    }

    // ------------------------------------------------------------------ state between passes

    /** Format versions of {@link #exportState()}: 1 held the pass state only. */
    private static final byte PASS_STATE_VERSION = 1;
    private static final byte STATE_VERSION = 2;

    /**
     * Everything this runner carries from one training step to the next, so that a trainer that
     * restores it (into a runner built with the same settings and table shape) continues
     * bit-identically: pass count, last pass step, dropped columns, budget knobs, the counts behind
     * the pass reports, and the per-batch state of the modes that keep one: the admission sketch
     * (admission count above 1), the growth policy (nets, per-feature slots, allowance, draw
     * counter) and FIITED-2D's dimension importance. Deflated: a young admission sketch is mostly
     * zeros.
     */
    public byte[] exportState() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                new DeflaterOutputStream(bytes, deflater), 1 << 16))) {
            out.writeByte(STATE_VERSION);
            out.writeUTF(mode.configName());
            out.writeLong(passes);
            out.writeLong(lastPassStep);
            out.writeInt(droppedMask);
            out.writeDouble(budget.keep());
            out.writeDouble(budget.ladderScale());
            out.writeLong(admittedSinceLastPass);
            out.writeLong(grownAtLastPass);
            out.writeLong(blockedAtLastPass);
            boolean counting = mode.admission() && settings.admissionCount() > 1;
            out.writeBoolean(counting);
            if (counting) {
                sketch.writeState(out);
            }
            out.writeBoolean(mode.growth());
            if (mode.growth()) {
                esapn.writeState(out);
            }
            out.writeBoolean(mode == PolicyMode.FIITED_2D);
            if (mode == PolicyMode.FIITED_2D) {
                importance.writeState(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        } finally {
            deflater.end();
        }
        return bytes.toByteArray();
    }

    /**
     * Restores what {@link #exportState()} wrote (or the pass state alone, format 1, of runners
     * that kept no per-batch state).
     *
     * @throws IllegalArgumentException when the state is of another mode or shape, or unreadable
     */
    public void importState(byte[] state) {
        if (state.length == 37 && state[0] == PASS_STATE_VERSION) {
            ByteBuffer b = ByteBuffer.wrap(state, 1, 36);
            passes = b.getLong();
            lastPassStep = b.getLong();
            droppedMask = b.getInt();
            budget.restore(b.getDouble(), b.getDouble());
            return;
        }
        Inflater inflater = new Inflater();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                new InflaterInputStream(new ByteArrayInputStream(state), inflater), 1 << 16))) {
            byte version = in.readByte();
            if (version != STATE_VERSION) {
                throw new IllegalArgumentException("policy state: unknown format version " + version + " (expected "
                        + STATE_VERSION + ")");
            }
            String stored = in.readUTF();
            if (!stored.equals(mode.configName())) {
                throw new IllegalArgumentException("policy state was written in mode " + stored + ", this trainer runs "
                        + mode.configName() + "; change inflight.policy.mode under a new application id");
            }
            passes = in.readLong();
            lastPassStep = in.readLong();
            droppedMask = in.readInt();
            budget.restore(in.readDouble(), in.readDouble());
            admittedSinceLastPass = in.readLong();
            grownAtLastPass = in.readLong();
            blockedAtLastPass = in.readLong();
            if (in.readBoolean()) {
                sketch.readState(in);
            }
            if (in.readBoolean()) {
                esapn.readState(in);
            }
            esapn.setExcludedChunks(droppedMask);
            if (in.readBoolean()) {
                importance.readState(in);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("policy state is unreadable (" + state.length + " bytes): " + e, e);
        } finally {
            inflater.end();
        }
    }

    // ------------------------------------------------------------------ pass

    /** True when at least {@code inflight.policy.interval.steps} steps passed since the last pass. */
    public boolean isPassDue(long step) {
        return step - lastPassStep >= settings.intervalSteps();
    }

    /** Runs one pass at training step {@code step} and reports what it did. */
    public PassReport runPass(EmbeddingTable table, long step) {
        long t0 = System.nanoTime();
        long seed = SplitMix64.at(settings.seed(), 100 + passes);
        passes++;
        lastPassStep = step;
        long sharedBefore = table.sharedRows();
        if (settings.sharedAdaptive() && budget.limited() && sharedBefore > 0 && mode != PolicyMode.HASH) {
            sizeShared(table, sharedBefore);
        }
        long bytesBefore = table.storedBytes();
        long rows = table.rowCount();
        long pruned = 0;
        long reallocated = 0;
        boolean enforced = false;
        double crossing = 0;
        long evicted = 0;
        long promotions = 0;
        long demotions = 0;
        long budgetActions = 0;
        Map<Precision, Long> perPrecision = new EnumMap<>(Precision.class);

        if (mode != PolicyMode.NONE && mode != PolicyMode.HASH) {
            BudgetController.Plan plan = budget.plan(bytesBefore, rows);
            if (mode.eviction()) {
                long capacity = Math.min(plan.rowCapacity(),
                        settings.rowCapacity() > 0 ? settings.rowCapacity() : Long.MAX_VALUE);
                if (capacity < Long.MAX_VALUE) {
                    evicted += eviction.run(table, capacity, seed);
                }
            }
            if (mode == PolicyMode.FIITED_2D && droppedMask == 0 && step >= settings.coldStartSteps2d()
                    && importance.observations() > 0) {
                droppedMask = DimensionPruner.droppedChunks(widths, importance, settings.dropRatio2d());
                esapn.setExcludedChunks(droppedMask);
                pruned += DimensionPruner.pruneColumns(table, droppedMask);
            }
            if (mode.fiited()) {
                float[] thresholds = mode == PolicyMode.FIITED_MANUAL
                        ? fiited.manualThresholds(table,
                                PruningRatios.powerLaw(k, plan.fiitedRatio(), settings.fiitedExponent()), seed)
                        : fiited.adaptiveThresholds(table, plan.fiitedRatio(), seed);
                FiitedPass.Result r = fiited.run(table, thresholds, plan.overTarget(), droppedMask);
                pruned += r.chunksPruned();
                reallocated += r.chunksReallocated();
                enforced = r.enforced();
                crossing = r.crossingFraction();
            }
            if (mode.precision()) {
                PrecisionLadder.Result r = ladder.run(table, plan.ladderScale(), seed + 1);
                promotions += r.promotions();
                demotions += r.demotions();
                for (Precision p : PRECISIONS) {
                    if (r.chunksPerPrecision()[p.ordinal()] > 0) {
                        perPrecision.put(p, r.chunksPerPrecision()[p.ordinal()]);
                    }
                }
            }
            if (budget.limited() && table.storedBytes() > budget.targetBytes()) {
                Lever lever = lever();
                Shedder.Result r = shedder.shedBytes(table, lever, budget.targetBytes(), ladder.floor(),
                        droppedMask, seed + 2);
                budgetActions += r.units();
                switch (lever) {
                    case EVICT_ROW -> evicted += r.units();
                    case DEMOTE_CHUNK -> demotions += r.units();
                    default -> pruned += r.units();
                }
                if (!r.met() && settings.evictFallback() && lever != Lever.EVICT_ROW) {
                    Shedder.Result f = shedder.shedBytes(table, Lever.EVICT_ROW, budget.targetBytes(),
                            ladder.floor(), droppedMask, seed + 3);
                    budgetActions += f.units();
                    evicted += f.units();
                }
            }
        }
        if (paysGrowth() && budget.limited()) {
            evicted += exchange.run(table, esapn, budget.targetBytes(), droppedMask).evicted();
        }
        long bytesAfter = table.storedBytes();
        if (budget.limited()) {
            esapn.setGrowthAllowance(budget.growthAllowance(bytesAfter));
        }
        long grown = esapn.rowsGrown() - grownAtLastPass;
        long blocked = esapn.growthBlocked() - blockedAtLastPass;
        grownAtLastPass = esapn.rowsGrown();
        blockedAtLastPass = esapn.growthBlocked();
        long admitted = admittedSinceLastPass;
        admittedSinceLastPass = 0;
        return new PassReport(step, mode, rows, pruned, reallocated, enforced, crossing, evicted, admitted,
                grown, blocked, promotions, demotions, perPrecision, droppedMask, budgetActions,
                bytesBefore, bytesAfter, budget.budgetBytes(), !budget.limited() || bytesAfter <= budget.targetBytes(),
                System.nanoTime() - t0);
    }

    /** The budget's split between shared rows and rows of their own: {@link SharedSizing}. */
    private void sizeShared(EmbeddingTable table, long rows) {
        Precision[] precisions = new Precision[k];
        Arrays.fill(precisions, initialPrecision());
        long eventBytes = table.rowBytes(initialMask(), precisions) * fields;
        int dim = Arrays.stream(widths).sum();
        double share = table.takeSharedServedShare();
        long next = SharedSizing.nextRows(rows, share, budget.budgetBytes(),
                PolicySettings.sharedRowBytes(dim), budget.targetBytes() - eventBytes);
        if (next != rows) {
            table.resizeShared(next);
        }
    }

    private Lever lever() {
        return switch (mode) {
            case ESAPN -> Lever.SHRINK_LAST_CHUNK;
            case PRECISION -> Lever.DEMOTE_CHUNK;
            case ADAEMBED, ALL -> Lever.EVICT_ROW;
            default -> Lever.PRUNE_CHUNK;
        };
    }
}
