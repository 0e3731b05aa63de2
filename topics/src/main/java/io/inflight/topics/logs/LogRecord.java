package io.inflight.topics.logs;

import io.inflight.topics.ClickEvent;
import java.util.Objects;

/**
 * One event read from a log, with where it came from.
 *
 * @param source the file (or logical input) name, as given to the reader
 * @param line   1-based physical line number of the record's first line in {@code source}
 * @param event  the parsed event
 */
public record LogRecord(String source, long line, ClickEvent event) {

    public LogRecord {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(event, "event");
    }
}
