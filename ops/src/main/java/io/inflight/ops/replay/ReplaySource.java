package io.inflight.ops.replay;

import io.inflight.topics.logs.LogRecord;

/** The records a {@link LogReplay} sends, in the order it sends them. Not thread-safe; closes its inputs. */
public interface ReplaySource extends AutoCloseable {

    /** The next record, or null at the end. */
    LogRecord next();

    /** How much of the input has been consumed, in [0, 1], or NaN when unknown. */
    double progress();

    /** Records skipped because they lie before the resume point. */
    long resumeSkipped();

    @Override
    void close();
}
