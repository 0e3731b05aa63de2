package io.inflight.policies.budget;

import io.inflight.policies.EmbeddingTable;
import io.inflight.policies.Precision;
import io.inflight.policies.RowView;
import io.inflight.policies.util.GrowableLongs;
import io.inflight.policies.util.Quantiles;
import io.inflight.policies.util.UtilityOrder;
import java.util.Arrays;

/**
 * Applies one {@link Lever} to the lowest-utility units of a table until a byte target or a unit
 * count is met, favouring high-utility rows. Each round reads a sampled threshold a little above
 * the fraction still to shed (plus three standard errors of the sample), collects the units at or
 * below it during one visit, sorts them by utility and acts from the bottom, stopping as soon as
 * the target is met; if the candidates run out, the next round doubles the fraction, and the last
 * round takes every unit. So the result is exact (never short because of sampling) and memory is
 * proportional to the units actually considered.
 */
public final class Shedder {

    /** Outcome: units acted on, and whether the target was met. */
    public record Result(long units, boolean met) {
    }

    private static final Precision[] PRECISIONS = Precision.values();
    private static final int MAX_ROUNDS = 12;

    private final int sampleSize;
    private final float[] samples;

    public Shedder(int sampleSize) {
        if (sampleSize < 1) {
            throw new IllegalArgumentException("sample size must be >= 1, got " + sampleSize);
        }
        this.sampleSize = sampleSize;
        this.samples = new float[sampleSize];
    }

    /** Acts until {@code table.storedBytes() <= targetBytes}. */
    public Result shedBytes(EmbeddingTable table, Lever lever, long targetBytes, Precision floor,
                            int excludedMask, long seed) {
        return shed(table, lever, targetBytes, -1, floor, excludedMask, seed);
    }

    /** Acts on exactly {@code count} units (or all eligible units if fewer). */
    public Result shedUnits(EmbeddingTable table, Lever lever, long count, Precision floor, long seed) {
        return shed(table, lever, -1, count, floor, 0, seed);
    }

    private Result shed(EmbeddingTable table, Lever lever, long targetBytes, long count, Precision floor,
                        int excludedMask, long seed) {
        boolean byBytes = count < 0;
        int k = table.chunkWidths().length;
        long done = 0;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            long bytes = table.storedBytes();
            long rows = table.rowCount();
            if ((byBytes && bytes <= targetBytes) || (!byBytes && done >= count) || rows == 0) {
                return new Result(done, true);
            }
            double units = lever == Lever.EVICT_ROW || lever == Lever.SHRINK_LAST_CHUNK ? rows : (double) rows * k;
            double q = byBytes ? (double) (bytes - targetBytes) / bytes : (count - done) / units;
            q = Math.min(1, q) * (1 << round);
            double se = Math.sqrt(Math.max(q * (1 - Math.min(q, 1)), 0) / sampleSize);
            double ratio = round == MAX_ROUNDS - 1 ? 1 : Math.min(1, 1.25 * q + 3 * se + 2.0 / sampleSize);
            float threshold = Float.POSITIVE_INFINITY;
            if (ratio < 1) {
                int chunk = lever == Lever.EVICT_ROW || lever == Lever.SHRINK_LAST_CHUNK ? 0 : -1;
                int n = table.sampleUtilities(chunk, sampleSize, seed + round, samples);
                threshold = Quantiles.thresholdAt(samples, n, ratio);
            }
            Candidates cand = collect(table, lever, threshold, floor, excludedMask);
            long acted = act(table, lever, cand, floor, byBytes ? bytes - targetBytes : count - done, !byBytes);
            done += acted;
            if (ratio >= 1 && (byBytes ? table.storedBytes() > targetBytes : done < count)) {
                return new Result(done, false); // every eligible unit considered
            }
        }
        return new Result(done, byBytes ? table.storedBytes() <= targetBytes : done >= count);
    }

    /** Units at or below the threshold: keys, chunks, utilities and estimated bytes saved. */
    private static final class Candidates {
        final GrowableLongs keys = new GrowableLongs(1024);
        final GrowableLongs chunkAndSaving = new GrowableLongs(1024);
        float[] utilities = new float[1024];
        int size;

        void add(long key, int chunk, float utility, long saving) {
            if (saving <= 0) {
                return; // e.g. fp16 -> int8 of a 2-wide chunk: the int8 scale costs more than the bits save
            }
            if (size == utilities.length) {
                utilities = Arrays.copyOf(utilities, size * 2);
            }
            keys.add(key);
            chunkAndSaving.add(((long) chunk << 48) | saving);
            utilities[size++] = utility;
        }
    }

    private static Candidates collect(EmbeddingTable table, Lever lever, float threshold, Precision floor,
                                      int excludedMask) {
        int k = table.chunkWidths().length;
        Precision[] precs = new Precision[k];
        Candidates out = new Candidates();
        table.forEachRow(row -> {
            int mask = row.mask();
            switch (lever) {
                case EVICT_ROW -> {
                    float u = row.utility(0);
                    if (u <= threshold) {
                        out.add(row.key(), 0, u, table.rowBytes(mask, fill(row, precs, k)));
                    }
                }
                case PRUNE_CHUNK -> {
                    for (int c = 0; c < k; c++) {
                        float u = row.utility(c);
                        if ((mask & (1 << c)) != 0 && u <= threshold) {
                            fill(row, precs, k);
                            out.add(row.key(), c, u, table.rowBytes(mask, precs) - table.rowBytes(mask & ~(1 << c), precs));
                        }
                    }
                }
                case DEMOTE_CHUNK -> {
                    for (int c = 0; c < k; c++) {
                        float u = row.utility(c);
                        if ((mask & (1 << c)) != 0 && u <= threshold && row.precision(c).bits() > floor.bits()) {
                            fill(row, precs, k);
                            long before = table.rowBytes(mask, precs);
                            precs[c] = floor;
                            out.add(row.key(), c, u, before - table.rowBytes(mask, precs));
                        }
                    }
                }
                case SHRINK_LAST_CHUNK -> {
                    if (Integer.bitCount(mask & ~excludedMask) >= 2) {
                        int c = 31 - Integer.numberOfLeadingZeros(mask & ~excludedMask);
                        float u = row.utility(0);
                        if (u <= threshold) {
                            fill(row, precs, k);
                            out.add(row.key(), c, u, table.rowBytes(mask, precs) - table.rowBytes(mask & ~(1 << c), precs));
                        }
                    }
                }
                default -> throw new IllegalStateException("unknown lever " + lever);
            }
        });
        return out;
    }

    private static Precision[] fill(RowView row, Precision[] precs, int k) {
        int mask = row.mask();
        for (int c = 0; c < k; c++) {
            precs[c] = (mask & (1 << c)) != 0 ? row.precision(c) : PRECISIONS[0];
        }
        return precs;
    }

    /** Acts from the lowest utility up until {@code need} bytes (or units) are reached. */
    private static long act(EmbeddingTable table, Lever lever, Candidates cand, Precision floor, long need,
                            boolean byUnits) {
        long[] order = new long[cand.size];
        for (int i = 0; i < cand.size; i++) {
            order[i] = UtilityOrder.pack(cand.utilities[i], i);
        }
        Arrays.sort(order);
        long acted = 0;
        long saved = 0;
        for (long packed : order) {
            if (saved >= need) {
                break;
            }
            int i = UtilityOrder.index(packed);
            long key = cand.keys.get(i);
            long cs = cand.chunkAndSaving.get(i);
            int chunk = (int) (cs >>> 48);
            long saving = cs & ((1L << 48) - 1);
            switch (lever) {
                case EVICT_ROW -> table.evictRow(key);
                case PRUNE_CHUNK, SHRINK_LAST_CHUNK -> table.pruneChunk(key, chunk);
                case DEMOTE_CHUNK -> table.setPrecision(key, chunk, floor);
                default -> throw new IllegalStateException("unknown lever " + lever);
            }
            acted++;
            saved += byUnits ? 1 : saving;
        }
        return acted;
    }
}
