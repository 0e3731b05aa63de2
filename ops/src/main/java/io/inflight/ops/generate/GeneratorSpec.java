package io.inflight.ops.generate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@link SyntheticStream} generates.
 *
 * @param events        number of events
 * @param cardinalities distinct values per categorical field (one entry per field)
 * @param zipfExponents popularity skew per field (0 = uniform); one entry, or one per field
 * @param latentDim     largest intrinsic dimension of the teacher's interaction vectors
 * @param targetCtr     approximate click rate the teacher's bias aims for
 * @param labelNoise    probability that a drawn label is flipped, in [0, 0.5]
 * @param driftAt       event indices (ascending) at which the hot set and the teacher change
 * @param seed          seed of every draw: the same spec gives the same stream, bit for bit
 * @param startTimeMs   event time of the first event
 * @param intervalMs    event-time spacing between consecutive events
 */
public record GeneratorSpec(long events, List<Integer> cardinalities, List<Double> zipfExponents, int latentDim,
                            double targetCtr, double labelNoise, List<Long> driftAt, long seed, long startTimeMs,
                            long intervalMs) {

    /** 2026-01-01T00:00:00Z. */
    public static final long DEFAULT_START = 1_767_225_600_000L;

    public GeneratorSpec {
        cardinalities = List.copyOf(cardinalities);
        zipfExponents = List.copyOf(zipfExponents);
        driftAt = List.copyOf(driftAt);
        if (events < 0) {
            throw new IllegalArgumentException("events must be >= 0, got " + events);
        }
        if (cardinalities.isEmpty() || cardinalities.size() > 1000) {
            throw new IllegalArgumentException("fields must be in [1, 1000], got " + cardinalities.size());
        }
        for (int c : cardinalities) {
            if (c < 1 || c > 50_000_000) {
                throw new IllegalArgumentException("cardinality must be in [1, 50000000], got " + c);
            }
        }
        if (zipfExponents.size() != 1 && zipfExponents.size() != cardinalities.size()) {
            throw new IllegalArgumentException("give one zipf exponent or one per field (" + cardinalities.size()
                    + "), got " + zipfExponents.size());
        }
        for (double z : zipfExponents) {
            if (!(z >= 0 && z <= 10)) {
                throw new IllegalArgumentException("zipf exponent must be in [0, 10], got " + z);
            }
        }
        if (latentDim < 0 || latentDim > 64) {
            throw new IllegalArgumentException("latent dimension must be in [0, 64], got " + latentDim);
        }
        if (!(targetCtr > 0 && targetCtr < 1)) {
            throw new IllegalArgumentException("target CTR must be in (0, 1), got " + targetCtr);
        }
        if (!(labelNoise >= 0 && labelNoise <= 0.5)) {
            throw new IllegalArgumentException("label noise must be in [0, 0.5], got " + labelNoise);
        }
        List<Long> sorted = new ArrayList<>(driftAt);
        Collections.sort(sorted);
        if (!sorted.equals(driftAt) || (!driftAt.isEmpty() && driftAt.get(0) < 1)) {
            throw new IllegalArgumentException("drift points must be ascending and >= 1, got " + driftAt);
        }
        if (intervalMs < 0) {
            throw new IllegalArgumentException("interval must be >= 0 ms, got " + intervalMs);
        }
    }

    /** Eight fields from 20 to 200,000 values, Zipf 1.1, latent dimension 8, CTR about 0.2, no noise, no drift. */
    public static GeneratorSpec defaults(long events, long seed) {
        return new GeneratorSpec(events, List.of(20, 100, 1_000, 5_000, 20_000, 50_000, 200_000, 500),
                List.of(1.1), 8, 0.2, 0.0, List.of(), seed, DEFAULT_START, 10);
    }

    public int fields() {
        return cardinalities.size();
    }

    /** The names of the stream's fields, {@code f0,f1,...}: the value of {@code inflight.model.fields} that trains on all of them. */
    public String fieldNames() {
        StringBuilder sb = new StringBuilder();
        for (int f = 0; f < fields(); f++) {
            sb.append(f == 0 ? "" : ",").append(SyntheticStream.fieldName(f));
        }
        return sb.toString();
    }

    public double zipf(int field) {
        return zipfExponents.size() == 1 ? zipfExponents.get(0) : zipfExponents.get(field);
    }
}
