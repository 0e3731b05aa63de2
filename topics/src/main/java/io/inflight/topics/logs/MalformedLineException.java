package io.inflight.topics.logs;

import io.inflight.topics.RejectReason;

/**
 * A log line that cannot be turned into an event. The message reads {@code file:line: reason: detail}.
 * The reader that threw it can continue with the next line.
 */
public final class MalformedLineException extends RuntimeException {

    private final String source;
    private final long line;
    private final RejectReason reason;
    private final String detail;

    public MalformedLineException(String source, long line, RejectReason reason, String detail) {
        super(source + ":" + line + ": " + reason.code() + ": " + detail);
        this.source = source;
        this.line = line;
        this.reason = reason;
        this.detail = detail;
    }

    public String source() {
        return source;
    }

    /** 1-based line number in {@link #source()}. */
    public long line() {
        return line;
    }

    public RejectReason reason() {
        return reason;
    }

    /** The problem without the location, e.g. {@code "column 'hour' is 'x', expected yyMMddHH"}. */
    public String detail() {
        return detail;
    }
}
