package io.inflight.ops.generate;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.CounterRandom;
import io.inflight.trainer.model.Losses;
import java.util.ArrayList;
import java.util.List;

/**
 * A reproducible click stream with a hidden teacher model, so a learner's accuracy can be compared
 * with the best achievable.
 *
 * <p>Field {@code f} ({@code f0, f1, ...}) takes Zipf-distributed values. The teacher is a
 * factorization machine: each feature has a weight {@code w ~ N(0, 0.5²)} and a latent vector
 * {@code v ~ N(0, 0.35²)^k}, both drawn from a counter-based generator keyed by (seed, feature key),
 * so the teacher needs no memory. {@code logit = b + Σ w + Σ_{i<j} <v_i, v_j>}; the label is drawn
 * with probability {@code σ(logit)}. The bias {@code b} is {@code logit(targetCtr)}.
 *
 * <p>{@link #next()} is deterministic in the spec: event {@code i} depends only on (seed, i).
 * Not thread-safe (an iterator).
 */
public final class SyntheticStream {

    private static final long SALT_VALUE = 0x51A7E5L;
    private static final long SALT_LABEL = 0x1ABE1L;
    private static final long SALT_TEACHER = 0x7EAC4E5L;

    private final GeneratorSpec spec;
    private final ZipfSampler[] samplers;
    private final String[] fieldNames;
    private final double bias;
    private final ProgressiveMetrics teacher = new ProgressiveMetrics(1 << 16);
    private final double[] vsum;
    private long index;

    public SyntheticStream(GeneratorSpec spec) {
        this.spec = spec;
        this.samplers = new ZipfSampler[spec.fields()];
        this.fieldNames = new String[spec.fields()];
        for (int f = 0; f < spec.fields(); f++) {
            samplers[f] = new ZipfSampler(spec.cardinalities().get(f), spec.zipfExponent());
            fieldNames[f] = "f" + f;
        }
        this.bias = Math.log(spec.targetCtr() / (1 - spec.targetCtr()));
        this.vsum = new double[spec.latentDim()];
    }

    public boolean hasNext() {
        return index < spec.events();
    }

    public long index() {
        return index;
    }

    public String[] fieldNames() {
        return fieldNames.clone();
    }

    /** The next event; values are written into {@code values} (one per field) and the label returned. */
    public int next(String[] values) {
        long i = index++;
        double logit = bias;
        double squares = 0;
        java.util.Arrays.fill(vsum, 0);
        for (int f = 0; f < samplers.length; f++) {
            int rank = samplers[f].sample(CounterRandom.uniform(spec.seed() ^ SALT_VALUE, i, f));
            String value = valueName(f, rank);
            values[f] = value;
            long key = FeatureKeys.key(fieldNames[f], value);
            long tseed = spec.seed() ^ SALT_TEACHER;
            logit += 0.5 * CounterRandom.gaussian(tseed, key, 0);
            for (int d = 0; d < vsum.length; d++) {
                double v = 0.35 * CounterRandom.gaussian(tseed, key, 1 + d);
                vsum[d] += v;
                squares += v * v;
            }
        }
        double pair = 0;
        for (double s : vsum) {
            pair += s * s;
        }
        logit += 0.5 * (pair - squares);
        double p = Losses.sigmoid(logit);
        int label = CounterRandom.uniform(spec.seed() ^ SALT_LABEL, i, 0) < p ? 1 : 0;
        teacher.record(logit, label);
        return label;
    }

    /** The next event as a {@link ClickEvent}. */
    public ClickEvent nextEvent() {
        String[] values = new String[fieldNames.length];
        long i = index;
        int label = next(values);
        List<ClickEvent.Field> fields = new ArrayList<>(values.length);
        for (int f = 0; f < values.length; f++) {
            fields.add(ClickEvent.Field.of(fieldNames[f], values[f]));
        }
        return new ClickEvent("e" + i, eventTime(i), label, fields, List.of());
    }

    public long eventTime(long i) {
        return spec.startTimeMs() + i * spec.intervalMs();
    }

    /** Values look like hashed ids; rank 0 is the most popular. */
    private String valueName(int field, int rank) {
        return Long.toHexString(FeatureKeys.mix(((long) field << 40) ^ rank ^ spec.seed()) >>> 8);
    }

    /** AUC of the teacher's own probabilities on the labels drawn so far: the ceiling for a learner. */
    public ProgressiveMetrics.Summary teacherSummary() {
        return teacher.summary();
    }
}
