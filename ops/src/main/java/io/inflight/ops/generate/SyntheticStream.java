package io.inflight.ops.generate;

import io.inflight.policies.util.SplitMix64;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * A reproducible click stream with a hidden teacher model, so a learner's accuracy can be compared
 * with the best achievable, and so that adaptive embedding sizes genuinely matter.
 *
 * <p>Field {@code f} ({@code f0, f1, ...}) takes Zipf-distributed values. The teacher is a
 * factorization machine whose parameters depend on a feature's popularity
 * {@code π = 1 − ln(1+rank)/ln(1+n)} (1 for the most popular value, near 0 for the rarest):
 * <ul>
 *   <li>importance: weight {@code w ~ N(0, (0.5·(0.3+π))²)} and vector scale {@code 0.35·(0.3+π)};</li>
 *   <li>intrinsic dimension: only the first {@code max(1, ceil(k·π))} of the {@code k} latent
 *       coordinates are non-zero, so popular features need more dimensions than rare ones.</li>
 * </ul>
 * All parameters are drawn from a counter-based generator keyed by (seed, epoch, feature key), so the
 * teacher needs no memory. {@code logit = b + Σ w + Σ_{i<j} <v_i, v_j>}; the label is drawn with
 * probability {@code σ(logit)} and then flipped with probability {@code labelNoise}.
 *
 * <p>Concept drift: at each index in {@code driftAt} the epoch advances; the hot set moves (the value
 * at popularity rank r becomes a different value) and the teacher is re-drawn.
 *
 * <p>Event {@code i} depends only on (spec, i). Not thread-safe (an iterator).
 */
public final class SyntheticStream {

    private static final long SALT_VALUE = 0x51A7E5L;
    private static final long SALT_LABEL = 0x1ABE1L;
    private static final long SALT_NOISE = 0x4015EL;
    private static final long SALT_TEACHER = 0x7EAC4E5L;

    private final GeneratorSpec spec;
    private final ZipfSampler[] samplers;
    private final double[] logCard;
    private final String[] fieldNames;
    private final double bias;
    private final ProgressiveMetrics teacher = new ProgressiveMetrics(1 << 16);
    private final double[] vsum;
    private long index;
    private int epoch;

    public SyntheticStream(GeneratorSpec spec) {
        this.spec = spec;
        this.samplers = new ZipfSampler[spec.fields()];
        this.logCard = new double[spec.fields()];
        this.fieldNames = new String[spec.fields()];
        for (int f = 0; f < spec.fields(); f++) {
            samplers[f] = new ZipfSampler(spec.cardinalities().get(f), spec.zipf(f));
            logCard[f] = Math.log1p(spec.cardinalities().get(f));
            fieldNames[f] = fieldName(f);
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

    /** The drift epoch of the next event. */
    public int epoch() {
        return epoch;
    }

    /** The next event; values are written into {@code values} (one per field) and the label returned. */
    public int next(String[] values) {
        long i = index++;
        while (epoch < spec.driftAt().size() && i >= spec.driftAt().get(epoch)) {
            epoch++;
        }
        long tseed = spec.seed() ^ SALT_TEACHER ^ (SplitMix64.GOLDEN * epoch);
        double logit = bias;
        double squares = 0;
        Arrays.fill(vsum, 0);
        for (int f = 0; f < samplers.length; f++) {
            int n = samplers[f].cardinality();
            int rank = samplers[f].sample(SplitMix64.uniform(spec.seed() ^ SALT_VALUE, i, f));
            // The hot set moves with the epoch: rank r maps to a different value in each epoch.
            int valueId = (int) ((rank + (long) epoch * (n / 3 + 1)) % n);
            String value = valueName(f, valueId);
            values[f] = value;
            long key = FeatureKeys.key(fieldNames[f], value);
            double pi = 1.0 - Math.log1p(rank) / logCard[f];
            double scale = 0.3 + pi;
            logit += 0.5 * scale * SplitMix64.gaussian(tseed, key, 0);
            int k = Math.max(1, (int) Math.ceil(vsum.length * pi));
            for (int d = 0; d < Math.min(k, vsum.length); d++) {
                double v = 0.35 * scale * SplitMix64.gaussian(tseed, key, 1 + d);
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
        int label = SplitMix64.uniform(spec.seed() ^ SALT_LABEL, i, 0) < p ? 1 : 0;
        if (spec.labelNoise() > 0 && SplitMix64.uniform(spec.seed() ^ SALT_NOISE, i, 0) < spec.labelNoise()) {
            label = 1 - label;
        }
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

    /** The remaining events as an iterator of {@link ClickEvent}s ({@link #nextEvent()} on demand). */
    public Iterator<ClickEvent> events() {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return SyntheticStream.this.hasNext();
            }

            @Override
            public ClickEvent next() {
                return nextEvent();
            }
        };
    }

    public long eventTime(long i) {
        return spec.startTimeMs() + i * spec.intervalMs();
    }

    /** Values look like hashed ids (12 hex digits); distinct within a field. */
    private String valueName(int field, int valueId) {
        // mix is a bijection, so distinct (field, id) give distinct 64-bit values; 48 bits are kept.
        return Long.toHexString((FeatureKeys.mix(((long) field << 32) ^ valueId ^ (spec.seed() << 48)) >>> 16) | (1L << 47));
    }

    /** AUC of the teacher's own logits on the labels drawn so far: the ceiling for a learner. */
    public ProgressiveMetrics.Summary teacherSummary() {
        return teacher.summary();
    }

    /** The name of field {@code f}: {@code f0}, {@code f1}, ... */
    public static String fieldName(int f) {
        return "f" + f;
    }
}
