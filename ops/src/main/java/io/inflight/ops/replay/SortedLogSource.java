package io.inflight.ops.replay;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.logs.LogRecord;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.stream.Stream;

/**
 * An external merge sort by event time with bounded memory: reads the whole input in chunks of at
 * most {@code chunkEvents} events (and {@code chunkBytes} bytes of encoded events), sorts each chunk
 * in memory, spills it as a run to a temporary directory under {@code workDir}, then merges the runs
 * as the records are taken. Stable: ties keep input order (the earlier file first, then file order),
 * so the output is deterministic. An input that fits in one chunk is not spilled. Each run record is
 * {@code int source, long line, int length, length bytes of EventCodec}. The temporary files are
 * deleted on {@link #close()} and when sorting fails.
 */
public final class SortedLogSource implements ReplaySource {

    /** The spill files keep every event as read: limits are the validator's, later. */
    private static final EventCodec CODEC = new EventCodec(new EventLimits(Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MIN_VALUE));
    private static final int BUFFER = 1 << 16;

    private interface Run extends AutoCloseable {
        /** The next record of the run, or null at its end. */
        LogRecord next() throws IOException;

        @Override
        void close() throws IOException;
    }

    private record Head(LogRecord record, int run) {
    }

    private final List<String> sources;
    private final List<Run> runs = new ArrayList<>();
    private final PriorityQueue<Head> heads = new PriorityQueue<>(
            Comparator.<Head>comparingLong(h -> h.record.event().eventTimeMs()).thenComparingInt(Head::run));
    private final long total;
    private final long resumeSkipped;
    private Path tmpDir;
    private long taken;

    /**
     * Reads all of {@code input} (and closes it), sorting as described above.
     *
     * @param progress where to print a progress line every {@code progressIntervalNanos} (0 = none)
     */
    public SortedLogSource(ReplaySource input, int chunkEvents, long chunkBytes, Path workDir, PrintStream progress,
            long progressIntervalNanos) {
        if (chunkEvents < 1 || chunkBytes < 1) {
            throw new IllegalArgumentException("sort chunks need room for one event, got " + chunkEvents + " events, " + chunkBytes + " bytes");
        }
        Map<String, Integer> sourceIds = new HashMap<>();
        this.sources = new ArrayList<>();
        long count = 0;
        try (input) {
            Chunk chunk = new Chunk(Math.min(chunkEvents, 1 << 16));
            long start = System.nanoTime();
            long nextPrint = start + progressIntervalNanos;
            LogRecord rec;
            while ((rec = input.next()) != null) {
                int src = sourceIds.computeIfAbsent(rec.source(), s -> {
                    sources.add(s);
                    return sources.size() - 1;
                });
                if (chunk.size == chunkEvents || chunk.bytes >= chunkBytes) { // full, and there is more: spill
                    spill(chunk, workDir);
                    chunk = new Chunk(Math.min(chunkEvents, 1 << 16));
                }
                chunk.add(src, rec.line(), rec.event().eventTimeMs(), CODEC.encode(rec.event()));
                count++;
                if (progressIntervalNanos > 0 && (count & 0x3FF) == 0 && System.nanoTime() >= nextPrint) {
                    progress.printf(Locale.ROOT, "  sorting: read %,d events, %d run(s) spilled%n", count, runs.size());
                    nextPrint = System.nanoTime() + progressIntervalNanos;
                }
            }
            if (chunk.size > 0) {
                if (runs.isEmpty()) {
                    runs.add(chunk.sorted()); // fits in memory: no spill
                } else {
                    spill(chunk, workDir);
                }
            }
            this.resumeSkipped = input.resumeSkipped();
            for (int i = 0; i < runs.size(); i++) {
                advance(i);
            }
        } catch (IOException e) {
            closeQuietly();
            throw new UncheckedIOException("cannot sort the input by time in " + workDir + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly();
            throw e;
        }
        this.total = count;
    }

    /** Runs written to disk (0 when the input fitted in one chunk). */
    public int spilledRuns() {
        return tmpDir == null ? 0 : runs.size();
    }

    /** Events read and sorted. */
    public long events() {
        return total;
    }

    private void spill(Chunk chunk, Path workDir) throws IOException {
        if (tmpDir == null) {
            Files.createDirectories(workDir);
            tmpDir = Files.createTempDirectory(workDir, "replay-sort-");
        }
        Path file = tmpDir.resolve(String.format(Locale.ROOT, "run-%06d.bin", runs.size()));
        Integer[] order = chunk.order();
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), BUFFER))) {
            for (int i : order) {
                out.writeInt(chunk.srcs[i]);
                out.writeLong(chunk.lines[i]);
                out.writeInt(chunk.events[i].length);
                out.write(chunk.events[i]);
            }
        }
        runs.add(new FileRun(file));
    }

    private void advance(int run) throws IOException {
        LogRecord rec = runs.get(run).next();
        if (rec != null) {
            heads.add(new Head(rec, run));
        }
    }

    @Override
    public LogRecord next() {
        Head h = heads.poll();
        if (h == null) {
            return null;
        }
        try {
            advance(h.run);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sorted runs in " + tmpDir + ": " + e.getMessage(), e);
        }
        taken++;
        return h.record;
    }

    @Override
    public double progress() {
        return total == 0 ? 1.0 : (double) taken / total;
    }

    @Override
    public long resumeSkipped() {
        return resumeSkipped;
    }

    /** Closes the runs and deletes the temporary directory. */
    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        for (Run r : runs) {
            try {
                r.close();
            } catch (IOException | RuntimeException ignored) {
                // deleting follows
            }
        }
        runs.clear();
        heads.clear();
        if (tmpDir != null) {
            try (Stream<Path> files = Files.list(tmpDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(tmpDir);
            } catch (IOException e) {
                System.err.println("warning: cannot delete the sort's temporary files in " + tmpDir + ": " + e.getMessage());
            }
            tmpDir = null;
        }
    }

    private LogRecord record(int src, long line, byte[] bytes) {
        ClickEvent e = CODEC.decode(bytes);
        return new LogRecord(sources.get(src), line, e);
    }

    /** One chunk of encoded events in input order. */
    private final class Chunk {
        int[] srcs;
        long[] lines;
        long[] times;
        byte[][] events;
        int size;
        long bytes;

        Chunk(int capacity) {
            srcs = new int[capacity];
            lines = new long[capacity];
            times = new long[capacity];
            events = new byte[capacity][];
        }

        void add(int src, long line, long time, byte[] event) {
            if (size == srcs.length) {
                int n = size * 2;
                srcs = Arrays.copyOf(srcs, n);
                lines = Arrays.copyOf(lines, n);
                times = Arrays.copyOf(times, n);
                events = Arrays.copyOf(events, n);
            }
            srcs[size] = src;
            lines[size] = line;
            times[size] = time;
            events[size] = event;
            size++;
            bytes += event.length + 64L; // the arrays' share and the byte[] header
        }

        /** Indexes by time; stable (TimSort), so ties keep input order. */
        Integer[] order() {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator.comparingLong(i -> times[i]));
            return order;
        }

        Run sorted() {
            Integer[] order = order();
            return new Run() {
                int next;

                @Override
                public LogRecord next() {
                    if (next == order.length) {
                        return null;
                    }
                    int i = order[next++];
                    byte[] bytes = events[i];
                    events[i] = null; // released as taken
                    return record(srcs[i], lines[i], bytes);
                }

                @Override
                public void close() {
                }
            };
        }
    }

    private final class FileRun implements Run {
        private final DataInputStream in;

        FileRun(Path file) throws IOException {
            this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER));
        }

        @Override
        public LogRecord next() throws IOException {
            int src;
            try {
                src = in.readInt();
            } catch (EOFException end) {
                return null;
            }
            long line = in.readLong();
            byte[] bytes = new byte[in.readInt()];
            in.readFully(bytes);
            return record(src, line, bytes);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
