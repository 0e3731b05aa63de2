package io.inflight.ops.replay;

import io.inflight.topics.logs.MalformedLineException;

/** A strict replay met a malformed line: the message names {@code file:line}, the reason and the detail. */
public final class ReplayStoppedException extends RuntimeException {

    private final MalformedLineException line;

    public ReplayStoppedException(MalformedLineException line) {
        super("stopped at " + line.getMessage() + " (--strict)", line);
        this.line = line;
    }

    public MalformedLineException line() {
        return line;
    }
}
