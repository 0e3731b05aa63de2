package io.inflight.ops.replay;

import io.inflight.topics.logs.LogRecord;
import java.time.Instant;
import java.util.Locale;

/**
 * The input is not in time order: an event is earlier than the latest one before it (of the merged
 * stream) by more than the tolerance. The message names the event's {@code file:line} and both times;
 * {@link #sentBefore()} says how many events were sent before it.
 */
public final class OutOfOrderException extends RuntimeException {

    private final long sentBefore;

    public OutOfOrderException(LogRecord record, LogRecord latest, long sentBefore) {
        super(String.format(Locale.ROOT, "%s:%d: event time %s is earlier than %s of the event before it (%s:%d)",
                record.source(), record.line(), Instant.ofEpochMilli(record.event().eventTimeMs()),
                Instant.ofEpochMilli(latest.event().eventTimeMs()), latest.source(), latest.line()));
        this.sentBefore = sentBefore;
    }

    /** Events sent (or, in a dry run, validated) before it. */
    public long sentBefore() {
        return sentBefore;
    }
}
