package io.inflight.topics.logs;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * An input file opened for reading text: gzip is detected by its magic bytes (whatever the file is
 * called) and decompressed on the fly; the compressed bytes consumed are counted so that readers can
 * report progress. Not thread-safe.
 */
public final class LogInput implements AutoCloseable {

    private final Path path;
    private final long size;
    private final Counting counting;
    private final BufferedReader reader;
    private final boolean gzip;
    private long lineNumber;

    private LogInput(Path path, long size, Counting counting, BufferedReader reader, boolean gzip) {
        this.path = path;
        this.size = size;
        this.counting = counting;
        this.reader = reader;
        this.gzip = gzip;
    }

    /** Opens {@code path} as text in {@code charset}; gzip-compressed files are decompressed. */
    public static LogInput open(Path path, Charset charset) {
        try {
            long size = Files.size(path);
            Counting counting = new Counting(Files.newInputStream(path));
            BufferedInputStream buffered = new BufferedInputStream(counting, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            return new LogInput(path, size, counting, new BufferedReader(new InputStreamReader(in, charset), 1 << 16), gzip);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("log file not found: " + path, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open log file " + path, e);
        }
    }

    public Path path() {
        return path;
    }

    /** The decoded text. */
    public BufferedReader reader() {
        return reader;
    }

    /**
     * The next line that {@code keep} accepts (lines it rejects, e.g. blank or comment lines, are
     * skipped but counted), or null at the end of the input.
     */
    public String nextLine(Predicate<String> keep) {
        try {
            for (String l; (l = reader.readLine()) != null; ) {
                lineNumber++;
                if (keep.test(l)) {
                    return l;
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + " after line " + lineNumber, e);
        }
    }

    /** Physical number (1-based) of the last line {@link #nextLine} read. */
    public long lineNumber() {
        return lineNumber;
    }

    public boolean gzip() {
        return gzip;
    }

    /** Fraction of the file's bytes read so far (compressed bytes for gzip), in [0, 1]. */
    public double progress() {
        return size == 0 ? 1.0 : Math.min(1.0, (double) counting.count / size);
    }

    @Override
    public void close() {
        close(reader, path);
    }

    /** Closes {@code stream}, read from the log {@code what}; an I/O error becomes an {@link UncheckedIOException}. */
    static void close(Closeable stream, Object what) {
        try {
            stream.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + what, e);
        }
    }

    private static final class Counting extends FilterInputStream {
        private long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }
}
