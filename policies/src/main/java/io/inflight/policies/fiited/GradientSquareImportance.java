package io.inflight.policies.fiited;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * FIITED-2D's per-dimension utility: the sum of squared gradients over all rows in each dimension.
 * The trainer calls {@link #add(float[], int, int, int)} with each scattered row gradient (or
 * {@link #add(int, float)} per value). Fixed memory (D doubles). Not thread-safe.
 */
public final class GradientSquareImportance implements DimensionImportance {

    private final double[] sums;
    private long observations;

    public GradientSquareImportance(int dimensions) {
        if (dimensions < 1) {
            throw new IllegalArgumentException("dimensions must be >= 1, got " + dimensions);
        }
        sums = new double[dimensions];
    }

    /** Adds {@code g^2} to dimension {@code dimension}. */
    public void add(int dimension, float g) {
        sums[dimension] += (double) g * g;
        observations++;
    }

    /**
     * Adds the squares of {@code grad[offset .. offset + length)} to dimensions
     * {@code firstDimension ..} (a row's gradient, or one stored chunk's).
     */
    public void add(float[] grad, int offset, int length, int firstDimension) {
        for (int i = 0; i < length; i++) {
            float g = grad[offset + i];
            sums[firstDimension + i] += (double) g * g;
        }
        observations += length;
    }

    /** Writes the sums and the observation count. */
    public void writeState(DataOutput out) throws IOException {
        out.writeInt(sums.length);
        for (double v : sums) {
            out.writeDouble(v);
        }
        out.writeLong(observations);
    }

    /** Restores what {@link #writeState} wrote. */
    public void readState(DataInput in) throws IOException {
        int n = in.readInt();
        if (n != sums.length) {
            throw new IllegalArgumentException("dimension importance state has " + n + " dimensions, expected "
                    + sums.length);
        }
        for (int i = 0; i < n; i++) {
            sums[i] = in.readDouble();
        }
        observations = in.readLong();
    }

    public void reset() {
        Arrays.fill(sums, 0);
        observations = 0;
    }

    @Override
    public int dimensions() {
        return sums.length;
    }

    @Override
    public double importance(int dimension) {
        return sums[dimension];
    }

    @Override
    public long observations() {
        return observations;
    }
}
