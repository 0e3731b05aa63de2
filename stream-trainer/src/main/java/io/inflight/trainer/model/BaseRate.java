package io.inflight.trainer.model;

/**
 * The output bias's own optimizer, which keeps a model's mean prediction at the click rate from
 * the first events on, whatever the rate (a global bias stepped by Adagrad or Adam moves by about
 * the learning rate per step, far too slowly to reach the log-odds of a rare click).
 *
 * <ul>
 *   <li>After the first trained batch the bias is set to the log-odds of the click rate counted so
 *       far, {@code (clicks + ½) / (events + 1)} (Jeffreys prior);</li>
 *   <li>after every later batch it takes a natural-gradient step on the batch's calibration error,
 *       {@code Σ(y − p) / (H · r(1 − r))} with {@code r} that running rate and {@code H =}
 *       {@value #HORIZON_EVENTS} events: a constant log-odds error shrinks by {@code b / H} of itself per
 *       batch of {@code b} events at any click rate, and a rate {@code r} leaves the bias a noise of
 *       about {@code 1 / sqrt(2 H r)} log-odds (at most half the error per batch, so no overshoot).</li>
 * </ul>
 * The models give the bias no other gradient step. The counts are part of the dense state
 * ({@link #STATE_FLOATS} floats, exact), so a restore or a replay continues bit-identically; the bias
 * itself is a parameter, all a serving replica needs. Not thread-safe.
 */
final class BaseRate {

    /** Floats of state: the events and the clicks counted. */
    static final int STATE_FLOATS = 2 * FloatCounters.FLOATS;
    /** Events over which the bias's step corrects a calibration error. */
    static final double HORIZON_EVENTS = 5_000;
    private static final double PRIOR_CLICKS = 0.5;
    private static final double PRIOR_EVENTS = 1;

    private long events;
    private long clicks;

    /** Log-odds of the click rate counted so far (with the prior). */
    double logOdds() {
        return Math.log((clicks + PRIOR_CLICKS) / (events - clicks + PRIOR_EVENTS - PRIOR_CLICKS));
    }

    /**
     * Counts the 0/1 labels of a trained batch whose scores were {@code logits} (the logits the loss
     * was taken at) and returns the bias to use from now on.
     */
    float update(float bias, float[] labels, float[] logits, int b) {
        boolean first = events == 0;
        double error = 0;
        for (int e = 0; e < b; e++) {
            error += labels[e] - Losses.sigmoid(logits[e]);
        }
        double r = Losses.sigmoid(logOdds());
        double step = error / (Math.max(HORIZON_EVENTS, 2.0 * b) * r * (1 - r));
        for (int e = 0; e < b; e++) {
            clicks += labels[e] > 0.5f ? 1 : 0;
        }
        events += b;
        return first ? (float) logOdds() : bias + (float) step;
    }

    /**
     * Before the first batch's gradients: moves its logits to the bias {@link #update} will set, so
     * the other parameters' first step is taken at the batch's click rate and not at p = ½ (which
     * would push every weight and row of that batch toward "no click", to be unlearned later: at
     * batch 256 that cost the deep models 0.02 AUC on a 0.23% click log). The batch was scored
     * before; only its gradients see the shift. Does nothing after the first batch.
     */
    void shiftFirstBatch(float bias, float[] labels, float[] logits, int b) {
        if (!beforeFirstBatch()) {
            return;
        }
        long c = 0;
        for (int e = 0; e < b; e++) {
            c += labels[e] > 0.5f ? 1 : 0;
        }
        float shift = (float) (Math.log((c + PRIOR_CLICKS) / (b - c + PRIOR_EVENTS - PRIOR_CLICKS)) - bias);
        for (int e = 0; e < b; e++) {
            logits[e] += shift;
        }
    }

    /** True until the first batch is counted. */
    boolean beforeFirstBatch() {
        return events == 0;
    }

    void exportState(float[] dst, int at) {
        FloatCounters.put(events, dst, at);
        FloatCounters.put(clicks, dst, at + FloatCounters.FLOATS);
    }

    void importState(float[] src, int at) {
        events = FloatCounters.get(src, at);
        clicks = FloatCounters.get(src, at + FloatCounters.FLOATS);
    }
}
