package io.inflight.ops.replay;

import io.inflight.topics.EventValidator;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.logs.LogRecord;
import io.inflight.topics.logs.MalformedLineException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The replay loop: takes events from a {@link ReplaySource} in event-time order, validates them
 * (an invalid event is treated like a malformed line), checks their time order (an event earlier than
 * the latest one before it by more than the tolerance stops the loop with {@link OutOfOrderException};
 * within the tolerance it is sent and counted), paces them with a {@link Pacer} and hands them
 * to a sink (the clicks producer, or the statistics of a dry run). Prints a progress line every
 * {@code progressIntervalNanos} (events, rate, skipped, ETA when the inputs can tell their progress).
 */
public final class LogReplay {

    /**
     * @param pacer                 when to send
     * @param validator             semantic checks of each event
     * @param progressIntervalNanos time between progress lines (0 = none)
     * @param limit                 most events to send ({@link Long#MAX_VALUE} = all)
     * @param orderToleranceMs      how much earlier than the latest event an event may be (0 = none)
     */
    public record Settings(Pacer pacer, EventValidator validator, long progressIntervalNanos, long limit, long orderToleranceMs) {

        public Settings {
            if (orderToleranceMs < 0) {
                throw new IllegalArgumentException("order tolerance must be >= 0 ms, got " + orderToleranceMs);
            }
        }

        /** Without tolerance: the events must be in time order. */
        public Settings(Pacer pacer, EventValidator validator, long progressIntervalNanos, long limit) {
            this(pacer, validator, progressIntervalNanos, limit, 0);
        }
    }

    private LogReplay() {
    }

    /**
     * Runs until the inputs end, {@code limit} events were sent or {@code stop} says so.
     * Malformed lines go to {@code skips} (which throws {@link ReplayStoppedException} when strict);
     * an event out of time order beyond the tolerance throws {@link OutOfOrderException}.
     */
    public static ReplaySummary run(ReplaySource source, SkipReporter skips, Consumer<LogRecord> sink, Settings s,
            PrintStream progress, BooleanSupplier stop) {
        long start = System.nanoTime();
        long nextPrint = start + s.progressIntervalNanos();
        long lastPrintNanos = start;
        long lastPrintCount = 0;
        long produced = 0;
        long firstTime = Long.MIN_VALUE;
        long lastTime = Long.MIN_VALUE;
        LogRecord latest = null;
        long outOfOrder = 0;
        boolean stopped = false;
        LogRecord rec;
        while ((rec = source.next()) != null) {
            if (produced >= s.limit() || ((produced & 0xFF) == 0 && stop.getAsBoolean())) {
                stopped = true;
                break;
            }
            try {
                s.validator().validate(rec.event(), System.currentTimeMillis());
            } catch (MalformedEventException e) {
                String prefix = e.reason().code() + ": ";
                String detail = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
                skips.onMalformed(new MalformedLineException(rec.source(), rec.line(), e.reason(), detail));
                continue;
            }
            long t = rec.event().eventTimeMs();
            if (latest != null && t < latest.event().eventTimeMs()) {
                if (latest.event().eventTimeMs() - t > s.orderToleranceMs()) {
                    throw new OutOfOrderException(rec, latest, produced);
                }
                outOfOrder++;
            } else {
                latest = rec;
            }
            if (firstTime == Long.MIN_VALUE) {
                firstTime = t;
            }
            long wait = s.pacer().waitNanos(produced, t, firstTime, start, System.nanoTime());
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            sink.accept(rec);
            produced++;
            lastTime = t;
            if (s.progressIntervalNanos() > 0 && (produced & 0x3FF) == 0) {
                long now = System.nanoTime();
                if (now >= nextPrint) {
                    progress.println(progressLine(produced, skips.skipped(), now - start, (produced - lastPrintCount)
                            / Math.max(1e-9, (now - lastPrintNanos) / 1e9), source.progress(), lastTime));
                    lastPrintNanos = now;
                    lastPrintCount = produced;
                    nextPrint = now + s.progressIntervalNanos();
                }
            }
        }
        return new ReplaySummary(produced, skips.skipped(), source.resumeSkipped(), outOfOrder, System.nanoTime() - start,
                lastTime, stopped);
    }

    static String progressLine(long produced, long skipped, long elapsedNanos, double rate, double fraction, long lastTimeMs) {
        String eta = "";
        if (!Double.isNaN(fraction) && fraction > 0 && fraction < 1) {
            long etaSecs = Math.round(elapsedNanos / 1e9 * (1 - fraction) / fraction);
            eta = String.format(Locale.ROOT, ", %.0f%% read, ETA %dm%02ds", 100 * fraction, etaSecs / 60, etaSecs % 60);
        }
        return String.format(Locale.ROOT, "  replayed %,d events, %,.0f events/s, skipped %,d%s, event time %s", produced, rate,
                skipped, eta, Instant.ofEpochMilli(lastTimeMs));
    }
}
