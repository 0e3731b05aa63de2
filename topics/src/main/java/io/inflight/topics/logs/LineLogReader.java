package io.inflight.topics.logs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import java.util.function.Predicate;

/**
 * A reader of a log with one record a line (plain or gzip, UTF-8): the lines {@code keep} accepts
 * are records, made by {@link #parse} while {@link #line()} is their line number; the others (blank
 * lines, comments) are skipped.
 */
abstract class LineLogReader implements LogReader {

    private final String source;
    private final LogInput input;
    private final Predicate<String> keep;
    private String pending;
    private long line;

    LineLogReader(Path path, Predicate<String> keep) {
        this.source = path.toString();
        this.input = LogInput.open(path, StandardCharsets.UTF_8);
        this.keep = keep;
    }

    /** The record of line {@link #line()}, {@code text}; throws {@link MalformedLineException} when it is not one. */
    abstract LogRecord parse(String text);

    /** The line number (from 1) of the record being parsed. */
    final long line() {
        return line;
    }

    @Override
    public final String source() {
        return source;
    }

    @Override
    public final boolean hasNext() {
        if (pending == null) {
            pending = input.nextLine(keep);
            line = input.lineNumber();
        }
        return pending != null;
    }

    @Override
    public final LogRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more records in " + source);
        }
        String text = pending;
        pending = null;
        return parse(text);
    }

    @Override
    public final double progress() {
        return input.progress();
    }

    @Override
    public final void close() {
        input.close();
    }
}
