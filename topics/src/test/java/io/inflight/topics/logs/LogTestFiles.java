package io.inflight.topics.logs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Writes small inline logs for the reader tests, and drains readers. */
final class LogTestFiles {

    private LogTestFiles() {
    }

    static Path write(Path dir, String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path writeGzip(Path dir, String name, String text) {
        Path p = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Reads everything; malformed lines are collected in {@code bad}. */
    static List<LogRecord> drain(LogReader r, List<MalformedLineException> bad) {
        List<LogRecord> out = new ArrayList<>();
        try (r) {
            while (r.hasNext()) {
                try {
                    out.add(r.next());
                } catch (MalformedLineException e) {
                    bad.add(e);
                }
            }
        }
        return out;
    }

    static List<LogRecord> drain(LogReader r) {
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> out = drain(r, bad);
        if (!bad.isEmpty()) {
            throw new AssertionError("unexpected malformed lines: " + bad);
        }
        return out;
    }
}
