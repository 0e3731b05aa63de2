package io.inflight.ops.generate;

import java.util.List;

/**
 * What {@link SyntheticStream} generates.
 *
 * @param events        number of events
 * @param cardinalities distinct values per categorical field (one entry per field)
 * @param zipfExponent  popularity skew of every field's values (0 = uniform)
 * @param latentDim     dimension of the teacher's pairwise interaction vectors
 * @param targetCtr     approximate click rate the teacher's bias aims for
 * @param seed          seed of every draw: the same spec gives the same stream, bit for bit
 * @param startTimeMs   event time of the first event
 * @param intervalMs    event-time spacing between consecutive events
 */
public record GeneratorSpec(long events, List<Integer> cardinalities, double zipfExponent, int latentDim,
                            double targetCtr, long seed, long startTimeMs, long intervalMs) {

    /** 2026-01-01T00:00:00Z. */
    public static final long DEFAULT_START = 1_767_225_600_000L;

    public GeneratorSpec {
        cardinalities = List.copyOf(cardinalities);
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
        if (latentDim < 0 || latentDim > 64) {
            throw new IllegalArgumentException("latent dimension must be in [0, 64], got " + latentDim);
        }
        if (!(targetCtr > 0 && targetCtr < 1)) {
            throw new IllegalArgumentException("target CTR must be in (0, 1), got " + targetCtr);
        }
        if (intervalMs < 0) {
            throw new IllegalArgumentException("interval must be >= 0 ms, got " + intervalMs);
        }
    }

    /** Eight fields from 20 to 200,000 values, Zipf 1.1, latent dimension 4, CTR about 0.2. */
    public static GeneratorSpec defaults(long events, long seed) {
        return new GeneratorSpec(events, List.of(20, 100, 1_000, 5_000, 20_000, 50_000, 200_000, 500),
                1.1, 4, 0.2, seed, DEFAULT_START, 10);
    }

    public int fields() {
        return cardinalities.size();
    }
}
