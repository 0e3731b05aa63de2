package io.inflight.topics.logs;

import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;

/**
 * How a log's time column is written. Spelled {@code epoch-s}, {@code epoch-ms} or a
 * {@link DateTimeFormatter} pattern (e.g. {@code yyMMddHH}, {@code yyyy-MM-dd HH:mm:ss}); a pattern
 * without an offset is read in the mapping's zone (UTC by default), one without a time of day is
 * midnight. Instances are not thread-safe (they cache the last parsed text, as logs repeat times).
 */
public final class TimeFormat {

    private final String spec;
    private final int kind; // 0 = epoch seconds, 1 = epoch millis, 2 = pattern
    private final DateTimeFormatter formatter;
    private final ZoneId zone;
    private String lastText;
    private long lastMs;

    private TimeFormat(String spec, int kind, DateTimeFormatter formatter, ZoneId zone) {
        this.spec = spec;
        this.kind = kind;
        this.formatter = formatter;
        this.zone = zone;
    }

    /** Parses {@code epoch-s}, {@code epoch-ms} or a {@link DateTimeFormatter} pattern. */
    public static TimeFormat parse(String spec, ZoneId zone) {
        String s = spec.trim();
        return switch (s) {
            case "epoch-s", "epoch-seconds", "s" -> new TimeFormat(s, 0, null, zone);
            case "epoch-ms", "epoch-millis", "ms" -> new TimeFormat(s, 1, null, zone);
            default -> {
                try {
                    yield new TimeFormat(s, 2, DateTimeFormatter.ofPattern(s), zone);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("time format must be epoch-s, epoch-ms or a java.time pattern, got '"
                            + spec + "': " + e.getMessage());
                }
            }
        };
    }

    /** A copy with its own cache, for another reader. */
    public TimeFormat copy() {
        return new TimeFormat(spec, kind, formatter, zone);
    }

    /** Epoch milliseconds of {@code text}; throws {@link MalformedEventException} (BAD_TIME) when unreadable. */
    public long toEpochMs(String text) {
        if (text.equals(lastText)) {
            return lastMs;
        }
        long ms;
        try {
            ms = switch (kind) {
                case 0 -> epochSeconds(text);
                case 1 -> Long.parseLong(text.trim());
                default -> pattern(text);
            };
        } catch (NumberFormatException | DateTimeException | ArithmeticException e) {
            throw new MalformedEventException(RejectReason.BAD_TIME, "time '" + text + "' does not match " + spec);
        }
        lastText = text;
        lastMs = ms;
        return ms;
    }

    private static long epochSeconds(String text) {
        String t = text.trim();
        if (t.indexOf('.') < 0) {
            return Math.multiplyExact(Long.parseLong(t), 1000L);
        }
        return Math.round(Double.parseDouble(t) * 1000.0);
    }

    private long pattern(String text) {
        TemporalAccessor t = formatter.parse(text.trim());
        if (t.isSupported(ChronoField.INSTANT_SECONDS)) {
            return Instant.from(t).toEpochMilli();
        }
        LocalDate date = t.query(TemporalQueries.localDate());
        if (date == null) {
            throw new DateTimeException("no date in '" + text + "'");
        }
        LocalTime time = t.query(TemporalQueries.localTime());
        return date.atTime(time == null ? LocalTime.MIDNIGHT : time).atZone(zone).toInstant().toEpochMilli();
    }

    /** Event times before this (1971-01-01T00:00:00Z) look wrong: seconds read as milliseconds, or a bad pattern. */
    public static final long PLAUSIBLE_FROM_MS = 31_536_000_000L;

    /** Event times from this (2100-01-01T00:00:00Z) on look wrong: milliseconds read as seconds, say. */
    public static final long PLAUSIBLE_UNTIL_MS = 4_102_444_800_000L;

    /** True when {@code ms} is before 1971 or after 2100. */
    public static boolean implausible(long ms) {
        return ms < PLAUSIBLE_FROM_MS || ms >= PLAUSIBLE_UNTIL_MS;
    }

    /**
     * Why the time {@code ms} read from {@code text} in column {@code column} looks wrong, with the
     * format that would read it plausibly when there is one.
     */
    String implausibleMessage(String column, String text, long ms) {
        String when = ms < PLAUSIBLE_FROM_MS ? "before 1971" : "after 2100";
        String shown;
        try {
            shown = Instant.ofEpochMilli(ms).toString();
        } catch (DateTimeException e) {
            shown = ms + " ms";
        }
        String head = "time column '" + column + "' value '" + text.trim() + "' read as " + spec + " is " + shown + " (" + when
                + "): ";
        String other = null;
        long otherMs = 0;
        try {
            if (kind == 1) {
                other = "epoch-s";
                otherMs = epochSeconds(text);
            } else if (kind == 0) {
                other = "epoch-ms";
                otherMs = Math.round(Double.parseDouble(text.trim()));
            }
        } catch (NumberFormatException | ArithmeticException e) {
            other = null;
        }
        if (other != null && !implausible(otherMs)) {
            return head + "the column looks like " + other + " (" + Instant.ofEpochMilli(otherMs) + "): set time.format=" + other;
        }
        if (kind == 2) {
            return head + "check time.format (a java.time pattern, e.g. yyyy-MM-dd HH:mm:ss) and time.zone";
        }
        if (kind == 1 && text.trim().length() >= 16) {
            return head + "the values may be microseconds or nanoseconds since the epoch, which time.format cannot read";
        }
        return head + "check time.format (epoch-s, epoch-ms or a java.time pattern)";
    }

    @Override
    public String toString() {
        return spec;
    }
}
