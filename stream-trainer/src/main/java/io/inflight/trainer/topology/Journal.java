package io.inflight.trainer.topology;

import io.inflight.trainer.state.TrainerStateStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Enumeration;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal of a {@link BatchTrainerProcessor}: what the stream thread accepted and asked for since
 * the last checkpoint, kept in {@code inflight-journal} (in memory, with a changelog), so that the
 * checkpoint plus the journal rebuild the state of the last commit bit for bit.
 *
 * <p>The journal is one stream of big-endian int entries: a length {@code n >= 0} followed by the
 * {@code n} bytes of an accepted event's raw record; {@value #REJECTED} for a dead-lettered event;
 * {@value #FORWARDED_MARK} followed by a long, the number of jobs whose outputs were forwarded by
 * that commit; {@value #PUBLISH_MARK} for a time-based publication asked for at that point;
 * {@value #FINISH_MARK} followed by a long, the stop offset of the run, where the task finished: the
 * pending events were trained as a batch short of the batch size and the events after it are held
 * for the rest of that run (the end of a job that stops by itself: {@code train --until-caught-up} or
 * {@code --max-events}); {@value #FLUSH_MARK}, as written before, is read as a finish at no known
 * stop offset. Entries
 * are buffered in memory and written in records numbered from 0 of at most {@code partBytes} (an
 * entry may span records) when the buffer is full and at each commit; a checkpoint deletes them.
 *
 * <p>Stream thread only.
 */
final class Journal {

    /** Entry length that marks a dead-lettered event (counted in the metrics). */
    static final int REJECTED = -1;
    /** Entry: a long follows, the number of jobs whose outputs were forwarded by this commit. */
    static final int FORWARDED_MARK = -2;
    /** Entry: a time-based publication at this point of the stream. */
    static final int PUBLISH_MARK = -3;
    /** Entry of earlier versions: the pending events were trained here as one (partial) batch. */
    static final int FLUSH_MARK = -4;
    /**
     * Entry: a long follows, the stop offset of the run in which the task finished here (-1 for none):
     * the pending events were trained here as one (partial) batch, those after it are held.
     */
    static final int FINISH_MARK = -5;
    /** Logged under the processor's name, as before the journal was a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    /** What {@link #replay} reads back, entry by entry, in order. */
    interface Visitor {
        /** An accepted event's raw record. */
        void event(byte[] raw);

        /** A dead-lettered event. */
        void rejected();

        /** Every job below {@code jobs} had its outputs forwarded in a committed transaction. */
        void forwarded(long jobs);

        /** A time-based publication was asked for here. */
        void publication();

        /**
         * The task finished here in the run that stopped at {@code stopOffset} (-1: unknown): the
         * pending events were trained as one batch, whole or not, and the events after it were held.
         */
        void finish(long stopOffset);
    }

    private final KeyValueStore<Long, byte[]> store;
    /** The largest record written. */
    private final int partBytes;
    /** Entries not yet in a record. */
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private long firstSeq;
    private long nextSeq;
    /** Bytes written in records since the last checkpoint. */
    private long bytes;
    /** The forwarded-jobs count last journaled or checkpointed. */
    private long markedForwarded;

    Journal(KeyValueStore<Long, byte[]> store, int partBytes) {
        this.store = store;
        this.partBytes = partBytes;
    }

    /** Appends an accepted event's raw record. */
    void event(byte[] raw) {
        writeInt(raw.length);
        buffer.writeBytes(raw);
    }

    /** Appends a processed record: its raw bytes when accepted, a mark when dead-lettered; writes a full buffer. */
    void record(boolean accepted, byte[] raw) {
        if (accepted) {
            event(raw);
        } else {
            rejected();
        }
        flushIfFull();
    }

    /** Appends a dead-lettered event's mark. */
    void rejected() {
        writeInt(REJECTED);
    }

    /** Appends the point where a time-based publication was asked for. */
    void publication() {
        writeInt(PUBLISH_MARK);
    }

    /** Appends the point where the task finished in the run that stops at {@code stopOffset} (-1: none). */
    void finished(long stopOffset) {
        writeInt(FINISH_MARK);
        writeLong(stopOffset);
    }

    /** Writes the buffered entries once they fill a record. */
    void flushIfFull() {
        if (buffer.size() >= partBytes) {
            flush();
        }
    }

    /** At a commit without a checkpoint: journals {@code forwardedJobs} when it changed, then writes the buffer. */
    void commit(long forwardedJobs) {
        if (forwardedJobs != markedForwarded) {
            writeInt(FORWARDED_MARK);
            writeLong(forwardedJobs);
            markedForwarded = forwardedJobs;
        }
        flush();
    }

    /** Whether anything was journaled since the last checkpoint, or is still to be ({@code forwardedJobs} changed). */
    boolean changedSince(long forwardedJobs) {
        return heldBytes() > 0 || forwardedJobs != markedForwarded;
    }

    /** Memory held until the next checkpoint: records written and entries buffered. */
    long heldBytes() {
        return bytes + buffer.size();
    }

    /** {@code forwardedJobs} is durable (restored, replayed or checkpointed). */
    void markForwarded(long forwardedJobs) {
        markedForwarded = forwardedJobs;
    }

    /** After a checkpoint holding {@code forwardedJobs}: the journal is no longer needed and is deleted. */
    void checkpointed(long forwardedJobs) {
        markedForwarded = forwardedJobs;
        for (long seq = firstSeq; seq < nextSeq; seq++) {
            store.delete(seq);
        }
        firstSeq = nextSeq;
        bytes = 0;
        buffer.reset();
    }

    /** Appends a big-endian int (what the replay reads). */
    private void writeInt(int v) {
        buffer.write(v >>> 24);
        buffer.write(v >>> 16);
        buffer.write(v >>> 8);
        buffer.write(v);
    }

    private void writeLong(long v) {
        buffer.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
    }

    /** Writes the buffered entries in records of at most {@link #partBytes}. */
    private void flush() {
        if (buffer.size() == 0) {
            return;
        }
        byte[] all = buffer.toByteArray();
        buffer.reset();
        for (int from = 0; from < all.length; from += partBytes) {
            byte[] part = from == 0 && all.length <= partBytes ? all
                    : Arrays.copyOfRange(all, from, Math.min(all.length, from + partBytes));
            store.put(nextSeq++, part);
        }
        bytes += all.length;
    }

    /**
     * Reads the (restored) journal back to {@code visitor}, entry by entry, and continues it after its
     * last record.
     *
     * @param task for the log line
     */
    void replay(Visitor visitor, TaskId task) {
        long started = System.nanoTime();
        long events = 0;
        firstSeq = -1;
        nextSeq = 0;
        bytes = 0;
        try (KeyValueIterator<Long, byte[]> it = store.all()) {
            // the journal's records hold one stream of entries: an entry may continue in the next record
            DataInputStream in = new DataInputStream(new SequenceInputStream(new Enumeration<InputStream>() {
                @Override
                public boolean hasMoreElements() {
                    return it.hasNext();
                }

                @Override
                public InputStream nextElement() {
                    var kv = it.next();
                    if (firstSeq < 0) {
                        firstSeq = kv.key;
                    } else if (kv.key != nextSeq) {
                        throw new IllegalStateException("store " + TrainerStateStore.JOURNAL + ": journal record "
                                + nextSeq + " is missing (next is " + kv.key + ")");
                    }
                    nextSeq = kv.key + 1;
                    bytes += kv.value.length;
                    return new ByteArrayInputStream(kv.value);
                }
            }));
            for (int first; (first = in.read()) >= 0; ) {
                int n = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                if (n == REJECTED) {
                    visitor.rejected();
                } else if (n == FORWARDED_MARK) {
                    visitor.forwarded(in.readLong());
                } else if (n == PUBLISH_MARK) {
                    visitor.publication();
                } else if (n == FLUSH_MARK) {
                    visitor.finish(-1);
                } else if (n == FINISH_MARK) {
                    visitor.finish(in.readLong());
                } else {
                    byte[] raw = new byte[n];
                    in.readFully(raw);
                    visitor.event(raw);
                    events++;
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("store " + TrainerStateStore.JOURNAL + ": the journal ends inside an entry", e);
        }
        long records = nextSeq - Math.max(firstSeq, 0);
        if (firstSeq < 0) {
            firstSeq = 0;
        }
        if (records > 0) {
            LOG.info("task {}: re-applied {} journaled events ({} records, {} bytes) on top of the checkpoint in {} ms",
                    task, events, records, bytes, (System.nanoTime() - started) / 1_000_000);
        }
    }
}
