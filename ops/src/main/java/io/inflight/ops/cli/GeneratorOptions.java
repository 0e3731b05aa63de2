package io.inflight.ops.cli;

import io.inflight.ops.generate.GeneratorSpec;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options describing a synthetic stream, shared by {@code generate} and {@code demo}. */
final class GeneratorOptions {

    @Option(names = "--seed", defaultValue = "42", description = "Seed; the same options give the same stream (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--cardinalities", split = ",", paramLabel = "N[,N...]",
            description = "Distinct values per field, one number per field (default: 20,100,1000,5000,20000,50000,200000,500).")
    List<Integer> cardinalities;

    @Option(names = "--zipf", split = ",", defaultValue = "1.1", paramLabel = "S[,S...]",
            description = "Zipf exponent of value popularity: one for all fields or one per field (default: ${DEFAULT-VALUE}).")
    List<Double> zipf;

    @Option(names = "--latent-dim", defaultValue = "8",
            description = "Teacher's largest interaction dimension; popular features use more of it (default: ${DEFAULT-VALUE}).")
    int latentDim;

    @Option(names = "--ctr", defaultValue = "0.2", description = "Approximate click rate (default: ${DEFAULT-VALUE}).")
    double ctr;

    @Option(names = "--label-noise", defaultValue = "0", description = "Probability of flipping a label (default: ${DEFAULT-VALUE}).")
    double labelNoise;

    @Option(names = "--drift-at", split = ",", paramLabel = "N[,N...]",
            description = "Event counts at which the hot set and the teacher change (concept drift).")
    List<Long> driftAt;

    GeneratorSpec spec(long events) {
        GeneratorSpec d = GeneratorSpec.defaults(events, seed);
        List<Integer> cards = cardinalities == null ? d.cardinalities() : new ArrayList<>(cardinalities);
        return new GeneratorSpec(events, cards, zipf, latentDim, ctr, labelNoise, driftAt == null ? List.of() : driftAt,
                seed, d.startTimeMs(), d.intervalMs());
    }
}
