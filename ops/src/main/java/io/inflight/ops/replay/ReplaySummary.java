package io.inflight.ops.replay;

import java.util.Locale;

/**
 * What a replay did.
 *
 * @param produced        events sent (or, for a dry run, validated)
 * @param skipped         malformed lines or invalid events skipped
 * @param resumeSkipped   records before the resume point (--from-line / --from-time)
 * @param outOfOrder      events earlier than the latest one before them, within the order tolerance (sent anyway)
 * @param elapsedNanos    wall time of the replay loop, including the final flush
 * @param lastEventTimeMs event time of the last event sent ({@link Long#MIN_VALUE} if none)
 * @param stopped         true when stopped early (Ctrl-C or --limit)
 */
public record ReplaySummary(long produced, long skipped, long resumeSkipped, long outOfOrder, long elapsedNanos,
        long lastEventTimeMs, boolean stopped) {

    public double eventsPerSecond() {
        return produced / Math.max(1e-9, elapsedNanos / 1e9);
    }

    /** The final summary line. */
    public String line(String verb) {
        return String.format(Locale.ROOT, "%s %,d events, skipped %,d (malformed), elapsed %.2f s, %,.0f events/s%s%s%s",
                verb, produced, skipped, elapsedNanos / 1e9, eventsPerSecond(),
                resumeSkipped > 0 ? String.format(Locale.ROOT, ", %,d before the resume point", resumeSkipped) : "",
                outOfOrder > 0 ? String.format(Locale.ROOT, ", %,d out of time order within the tolerance", outOfOrder) : "",
                stopped ? " (stopped early)" : "");
    }
}
