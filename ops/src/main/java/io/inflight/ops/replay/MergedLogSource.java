package io.inflight.ops.replay;

import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.LogRecord;
import io.inflight.topics.logs.MalformedLineException;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Merges several logs, each assumed sorted by event time, into one stream in event-time order (ties:
 * the earlier file in the list first, then file order). A file that is not in time order makes the
 * stream go back in time there ({@link LogReplay} refuses it; {@link SortedLogSource} sorts it). Applies the resume points: records before
 * {@code fromLine} in their file, or with an event time before {@code fromTimeMs}, are skipped
 * silently (counted in {@link #resumeSkipped()}). Malformed lines go to the handler, which may throw
 * to stop. Not thread-safe; closes the readers.
 */
public final class MergedLogSource implements ReplaySource {

    /** Receives each malformed line past the resume point; throw to stop the replay. */
    @FunctionalInterface
    public interface MalformedHandler {
        void onMalformed(MalformedLineException e);
    }

    private record Head(LogRecord record, int reader) {
    }

    private final List<LogReader> readers;
    private final long fromLine;
    private final long fromTimeMs;
    private final MalformedHandler onMalformed;
    private final PriorityQueue<Head> heads;
    private final boolean inFileOrder;
    private long resumeSkipped;

    /**
     * @param fromLine   first line to replay in each file (1 = from the start)
     * @param fromTimeMs first event time to replay ({@link Long#MIN_VALUE} = from the start)
     */
    public MergedLogSource(List<LogReader> readers, long fromLine, long fromTimeMs, MalformedHandler onMalformed) {
        this(readers, fromLine, fromTimeMs, onMalformed, false);
    }

    /** The files one after the other, each in file order (not merged): the input of a {@link SortedLogSource}. */
    public static MergedLogSource concatenated(List<LogReader> readers, long fromLine, long fromTimeMs, MalformedHandler onMalformed) {
        return new MergedLogSource(readers, fromLine, fromTimeMs, onMalformed, true);
    }

    private MergedLogSource(List<LogReader> readers, long fromLine, long fromTimeMs, MalformedHandler onMalformed, boolean inFileOrder) {
        this.inFileOrder = inFileOrder;
        this.readers = List.copyOf(readers);
        this.fromLine = fromLine;
        this.fromTimeMs = fromTimeMs;
        this.onMalformed = onMalformed;
        this.heads = new PriorityQueue<>(Math.max(1, readers.size()), (a, b) -> {
            int c = Long.compare(a.record.event().eventTimeMs(), b.record.event().eventTimeMs());
            return c != 0 ? c : Integer.compare(a.reader, b.reader);
        });
        if (inFileOrder) {
            advanceInFileOrder(0);
        } else {
            for (int i = 0; i < this.readers.size(); i++) {
                advance(i);
            }
        }
    }

    /** Concatenated: the next record of reader {@code i}, else of the readers after it (one head at most). */
    private void advanceInFileOrder(int i) {
        for (; i < readers.size() && heads.isEmpty(); i++) {
            advance(i);
        }
    }

    private void advance(int i) {
        LogReader r = readers.get(i);
        while (r.hasNext()) {
            LogRecord rec;
            try {
                rec = r.next();
            } catch (MalformedLineException e) {
                if (e.line() >= fromLine) {
                    onMalformed.onMalformed(e);
                }
                continue;
            }
            if (rec.line() < fromLine || rec.event().eventTimeMs() < fromTimeMs) {
                resumeSkipped++;
                continue;
            }
            heads.add(new Head(rec, i));
            return;
        }
    }

    /** The next record in event-time order (when every input is in time order), or null at the end of every input. */
    @Override
    public LogRecord next() {
        Head h = heads.poll();
        if (h == null) {
            return null;
        }
        if (inFileOrder) {
            advanceInFileOrder(h.reader);
        } else {
            advance(h.reader);
        }
        return h.record;
    }

    /** Mean progress of the inputs in [0, 1], or NaN when one of them cannot tell. */
    @Override
    public double progress() {
        double sum = 0;
        for (LogReader r : readers) {
            sum += r.progress();
        }
        return readers.isEmpty() ? 1.0 : sum / readers.size();
    }

    /** Records skipped because they lie before the resume point. */
    @Override
    public long resumeSkipped() {
        return resumeSkipped;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (LogReader r : readers) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
