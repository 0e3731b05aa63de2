package io.inflight.ops.train;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.util.Locale;

/** Formats progress and summary lines the same way for every command. */
public final class ProgressLine {

    private long lastEvents;
    private long lastNanos;
    private final long startNanos;

    public ProgressLine(long startNanos) {
        this.startNanos = startNanos;
        this.lastNanos = startNanos;
    }

    /**
     * Counts the rate of the next line from {@code events} at {@code nowNanos}: the events a restarted
     * trainer restored from its stores are not throughput.
     */
    public void baseline(long events, long nowNanos) {
        lastEvents = events;
        lastNanos = nowNanos;
    }

    /** As {@link #line(ProgressiveMetrics.Summary, long)}, followed by the recent-window AUC. */
    public String line(ProgressiveMetrics.Summary s, ProgressiveMetrics.Summary window, long nowNanos) {
        return line(s, nowNanos) + String.format(Locale.ROOT, "  window AUC %.4f", window.auc());
    }

    /** One line: events so far, events/s since the previous line (or the baseline), AUC, log-loss, NE. */
    public String line(ProgressiveMetrics.Summary s, long nowNanos) {
        double secs = Math.max(1e-9, (nowNanos - lastNanos) / 1e9);
        double rate = (s.events() - lastEvents) / secs;
        lastEvents = s.events();
        lastNanos = nowNanos;
        return String.format(Locale.ROOT, "[%6.1fs] events %,d  %,.0f ev/s  AUC %.4f  logloss %.4f  NE %.4f  dead-lettered %,d",
                (nowNanos - startNanos) / 1e9, s.events(), rate, s.auc(), s.logLoss(), s.ne(), s.rejected());
    }

    /** The line while no batch was scored yet (its AUC would be NaN): what has been read so far. */
    public String waiting(ProgressiveMetrics.Summary s, long nowNanos) {
        lastNanos = nowNanos;
        return String.format(Locale.ROOT, "[%6.1fs] waiting for the first batch  dead-lettered %,d",
                (nowNanos - startNanos) / 1e9, s.rejected());
    }

    public static String summary(ProgressiveMetrics.Summary s) {
        return String.format(Locale.ROOT,
                "events %,d | progressive AUC %.4f (binning error <= %.4f) | logloss %.4f | NE %.4f | calibration %.3f | dead-lettered %,d",
                s.events(), s.auc(), s.aucError(), s.logLoss(), s.ne(), s.calibration(), s.rejected());
    }
}
