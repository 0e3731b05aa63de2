package io.inflight.policies.adaembed;

import io.inflight.policies.util.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Frequency admission: a new feature gets an embedding row only once it has occurred
 * {@code threshold} times. Occurrences are counted in a count-min sketch of fixed size
 * ({@code depth} rows of {@code width} int counters, {@code 4 * depth * width} bytes, never more)
 * with conservative update (only the counters equal to the current minimum are incremented, which
 * tightens the over-estimate). Hashing is deterministic: {@code SplitMix64.at(seed, key, row)}.
 *
 * <p>Count-min never under-counts, so a key is admitted at its {@code threshold}-th occurrence at
 * the latest; collisions can only admit a key early. With {@code agingPeriod > 0} every counter is
 * halved after that many calls (TinyLFU-style aging), so counts reflect the recent stream and
 * stale collisions fade; a halving can delay an admission, never advance one.
 *
 * <p>Until admitted, a feature reads its gated shared row (zeros without shared rows) and trains
 * nothing: that is the caller's job (the trainer looks it up, finds no row, and reads without
 * creating one). Not thread-safe.
 */
public final class AdmissionSketch {

    private final int threshold;
    private final int depth;
    private final int widthMask;
    private final int[] counters;
    private final long seed;
    private final long agingPeriod;
    private long calls;
    private long admissions;

    /**
     * @param threshold   occurrences needed, >= 1 (1 admits every key at first sight)
     * @param width       counters per hash row, a power of two >= 16
     * @param depth       hash rows, in [1, 16]
     * @param agingPeriod calls between halvings, 0 = never
     * @param seed        hashing seed
     */
    public AdmissionSketch(int threshold, int width, int depth, long agingPeriod, long seed) {
        if (threshold < 1) {
            throw new IllegalArgumentException("admission threshold must be >= 1, got " + threshold);
        }
        if (width < 16 || Integer.bitCount(width) != 1) {
            throw new IllegalArgumentException("sketch width must be a power of two >= 16, got " + width);
        }
        if (depth < 1 || depth > 16) {
            throw new IllegalArgumentException("sketch depth must be in [1, 16], got " + depth);
        }
        if (agingPeriod < 0) {
            throw new IllegalArgumentException("aging period must be >= 0, got " + agingPeriod);
        }
        this.threshold = threshold;
        this.depth = depth;
        this.widthMask = width - 1;
        this.counters = new int[width * depth];
        this.seed = seed;
        this.agingPeriod = agingPeriod;
    }

    /**
     * Counts one occurrence of {@code key} and says whether it may have a row now (estimated count
     * {@code >= threshold}). Call it for features that have no row yet.
     */
    public boolean admit(long key) {
        if (threshold == 1) {
            admissions++;
            return true;
        }
        int min = Integer.MAX_VALUE;
        int width = widthMask + 1;
        for (int d = 0; d < depth; d++) {
            min = Math.min(min, counters[d * width + index(key, d)]);
        }
        int next = min == Integer.MAX_VALUE - 1 ? min : min + 1;
        for (int d = 0; d < depth; d++) {
            int i = d * width + index(key, d);
            if (counters[i] < next) {
                counters[i] = next;
            }
        }
        if (agingPeriod > 0 && ++calls % agingPeriod == 0) {
            for (int i = 0; i < counters.length; i++) {
                counters[i] >>>= 1;
            }
        }
        boolean admitted = next >= threshold;
        if (admitted && min < threshold) {
            admissions++;
        }
        return admitted;
    }

    /** The estimated occurrences of {@code key} (an upper bound on the true count since the last aging). */
    public int estimate(long key) {
        int min = Integer.MAX_VALUE;
        int width = widthMask + 1;
        for (int d = 0; d < depth; d++) {
            min = Math.min(min, counters[d * width + index(key, d)]);
        }
        return min;
    }

    /** Keys that crossed the threshold so far (each key counted once per crossing). */
    public long admissions() {
        return admissions;
    }

    /** Bytes held by the counters: fixed at construction. */
    public long memoryBytes() {
        return 4L * counters.length;
    }

    public int threshold() {
        return threshold;
    }

    /** Writes the counters and call counts (a sketch of the same shape reads them back). */
    public void writeState(DataOutput out) throws IOException {
        out.writeInt(counters.length);
        out.writeLong(calls);
        out.writeLong(admissions);
        // run-length of zeros: a young sketch is mostly empty
        int i = 0;
        while (i < counters.length) {
            int zeros = 0;
            while (i + zeros < counters.length && counters[i + zeros] == 0) {
                zeros++;
            }
            out.writeInt(-zeros - 1);
            i += zeros;
            if (i < counters.length) {
                out.writeInt(counters[i++]);
            }
        }
    }

    /** Restores what {@link #writeState} wrote. */
    public void readState(DataInput in) throws IOException {
        int n = in.readInt();
        if (n != counters.length) {
            throw new IllegalArgumentException("admission sketch state has " + n + " counters, this sketch has "
                    + counters.length + "; inflight.policy.admission.sketch.* changed since the checkpoint");
        }
        calls = in.readLong();
        admissions = in.readLong();
        int i = 0;
        while (i < n) {
            int zeros = -in.readInt() - 1;
            Arrays.fill(counters, i, i + zeros, 0);
            i += zeros;
            if (i < n) {
                counters[i++] = in.readInt();
            }
        }
    }

    private int index(long key, int row) {
        return (int) SplitMix64.at(seed, key, row) & widthMask;
    }
}
