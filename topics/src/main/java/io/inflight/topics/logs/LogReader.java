package io.inflight.topics.logs;

import java.util.Iterator;

/**
 * Reads a click log as a sequence of {@link LogRecord}s.
 *
 * <p>{@link #next()} throws {@link MalformedLineException} (naming the file and the line) for a line
 * that cannot be turned into an event; the reader stays usable, so a caller that wants to skip bad
 * lines simply catches it and continues with {@link #hasNext()}. Input/output failures are thrown as
 * {@link java.io.UncheckedIOException}. Readers are not thread-safe; close them when done.
 */
public interface LogReader extends Iterator<LogRecord>, AutoCloseable {

    /** The input's name, as used in {@link LogRecord#source()} and in error messages. */
    String source();

    /** How much of the input has been consumed, in [0, 1], or NaN when unknown. */
    double progress();

    @Override
    void close();
}
