package io.inflight.ops.generate;

import io.inflight.topics.ClickEvent;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes events as tab-separated text with a header {@code label, event_time, id, <fields>}; a name
 * ending in {@code .gz} is gzip-compressed. Multi-valued fields are joined with {@code |}.
 */
public final class TsvFileSink implements EventSink {

    private final Path path;
    private final Writer out;
    private boolean headerWritten;

    public TsvFileSink(Path path) {
        this.path = path;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            OutputStream raw = Files.newOutputStream(path);
            if (path.getFileName().toString().endsWith(".gz")) {
                raw = new GZIPOutputStream(raw, 1 << 16);
            }
            this.out = new BufferedWriter(new OutputStreamWriter(raw, StandardCharsets.UTF_8), 1 << 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    @Override
    public void write(ClickEvent e) {
        try {
            if (!headerWritten) {
                out.write("label\tevent_time\tid");
                for (ClickEvent.Field f : e.fields()) {
                    out.write('\t');
                    out.write(f.name());
                }
                out.write('\n');
                headerWritten = true;
            }
            out.write(e.label() == 1 ? '1' : '0');
            out.write('\t');
            out.write(Long.toString(e.eventTimeMs()));
            out.write('\t');
            out.write(e.id() == null ? "" : e.id());
            for (ClickEvent.Field f : e.fields()) {
                out.write('\t');
                out.write(String.join("|", f.values()));
            }
            out.write('\n');
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + path, ex);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + path, e);
        }
    }
}
