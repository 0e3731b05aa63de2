package io.inflight.policies.budget;

import io.inflight.policies.fiited.PruningRatios;

/**
 * Holds {@code EmbeddingTable.storedBytes()} within one byte budget by setting, before each pass,
 * the knobs of the other policies, and by naming the target the pass's final enforcement step
 * ({@link Shedder}) must reach.
 *
 * <p><b>Knobs.</b> With {@code rho = target / bytes} at the start of a pass and {@code n} the
 * number of active levers (rows, chunks, precision), each lever gets the factor
 * {@code phi = rho^(1/n)}, since stored bytes are roughly the product rows x kept chunks x bits:
 * <ul>
 *   <li>FIITED keep fraction {@code 1 - ratio} is multiplied by {@code phi} (ratio never below the
 *       configured base ratio, never above 0.95);</li>
 *   <li>AdaEmbed row capacity is {@code floor(rows * phi)} when over target (no eviction when
 *       under);</li>
 *   <li>the precision ladder's upper shares are multiplied by a scale that is multiplied by
 *       {@code phi} (at most 1).</li>
 * </ul>
 * Over target the knobs tighten at once; under {@code 0.9 * target} they relax by at most 10% per
 * pass; in between they hold (a dead band, so the knobs do not oscillate). The knobs shape
 * <em>which</em> rows keep bytes (always the highest-utility ones); the exact guarantee comes from
 * the enforcement step, which acts on the lowest-utility units until the bytes are at or below the
 * target.
 *
 * <p><b>Target and slack.</b> The target is {@code budget * (1 - headroom)}. After every pass
 * whose enforcement met the target, {@code bytes <= budget * (1 - headroom)}. Between passes only
 * two things add bytes: ESAPN growth, which is limited by {@link #growthAllowance} to the room left
 * under the target (so it never crosses it, up to one chunk if the store stores a grown chunk at
 * more bits than planned), and rows created for newly admitted features. Hence, at any step,
 * <pre>
 *   storedBytes <= budget * (1 - headroom) + A * newRowBytes
 * </pre>
 * where {@code A} is the number of rows created since the last pass (at most {@code T} x the new
 * features per step, bounded by batch size x fields) and {@code newRowBytes} the bytes of a new row
 * ({@code rowBytes(initialMask, initialPrecision)}). The budget itself is exceeded only when a
 * period admits more than {@code headroom * budget / newRowBytes} rows, and then by at most
 * {@code A * newRowBytes - headroom * budget}: that is the slack, one period's growth.
 *
 * <p>Not thread-safe; one instance per table.
 */
public final class BudgetController {

    /** The knobs for one pass. */
    public record Plan(double fiitedRatio, long rowCapacity, double ladderScale, boolean overTarget) {
    }

    private static final double RELAX_BELOW = 0.9;
    private static final double MAX_RELAX = 1.1;

    private final long budgetBytes;
    private final double headroom;
    private final double baseRatio;
    private final int levers;
    private double keep;
    private double ladderScale = 1;

    /**
     * @param budgetBytes the budget, 0 = unlimited
     * @param headroom    fraction of the budget kept free for one period's new rows, in [0, 0.5)
     * @param baseRatio   FIITED's configured ratio (the loosest the controller goes)
     * @param levers      active levers among rows, chunks and precision (>= 1)
     */
    public BudgetController(long budgetBytes, double headroom, double baseRatio, int levers) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("budget bytes must be >= 0, got " + budgetBytes);
        }
        if (levers < 1) {
            throw new IllegalArgumentException("levers must be >= 1, got " + levers);
        }
        this.budgetBytes = budgetBytes;
        this.headroom = headroom;
        this.baseRatio = baseRatio;
        this.levers = levers;
        this.keep = 1 - baseRatio;
    }

    public boolean limited() {
        return budgetBytes > 0;
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** What a pass aims at: {@code budget * (1 - headroom)}, or {@link Long#MAX_VALUE} when unlimited. */
    public long targetBytes() {
        return limited() ? (long) Math.floor(budgetBytes * (1 - headroom)) : Long.MAX_VALUE;
    }

    /** Sets the knobs for a pass that starts with {@code bytes} stored in {@code rows} rows. */
    public Plan plan(long bytes, long rows) {
        if (!limited() || bytes <= 0) {
            return new Plan(1 - keep, Long.MAX_VALUE, ladderScale, false);
        }
        double rho = (double) targetBytes() / bytes;
        double perLever = Math.pow(rho, 1.0 / levers);
        double phi;
        if (rho < 1) {
            phi = perLever;
        } else if (rho > 1 / RELAX_BELOW) {
            phi = Math.min(MAX_RELAX, perLever);
        } else {
            phi = 1;
        }
        keep = clamp(keep * phi, 1 - PruningRatios.CAP, 1 - baseRatio);
        ladderScale = clamp(ladderScale * phi, 0.01, 1);
        long capacity = rho < 1 ? (long) Math.floor(rows * perLever) : Long.MAX_VALUE;
        return new Plan(1 - keep, capacity, ladderScale, rho < 1);
    }

    /** Bytes ESAPN may add until the next pass: the room under the target. */
    public long growthAllowance(long bytesAfterPass) {
        return limited() ? Math.max(0, targetBytes() - bytesAfterPass) : Long.MAX_VALUE;
    }

    /** The FIITED keep fraction the controller has reached (state carried from pass to pass). */
    public double keep() {
        return keep;
    }

    /** The precision-ladder scale the controller has reached (state carried from pass to pass). */
    public double ladderScale() {
        return ladderScale;
    }

    /** Restores the state of {@link #keep()} and {@link #ladderScale()} (after a restart). */
    public void restore(double keepFraction, double scale) {
        if (!(keepFraction > 0 && keepFraction <= 1) || !(scale > 0 && scale <= 1)) {
            throw new IllegalArgumentException("budget state out of range: keep " + keepFraction + ", ladder scale " + scale);
        }
        this.keep = keepFraction;
        this.ladderScale = scale;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
