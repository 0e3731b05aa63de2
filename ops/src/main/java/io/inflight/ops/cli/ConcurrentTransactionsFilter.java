package io.inflight.ops.cli;

import java.io.PrintStream;

/**
 * Standard error without Kafka's {@code CONCURRENT_TRANSACTIONS} retry warnings, and nothing else removed.
 *
 * <p>With transactions v2 (Kafka 4) an exactly-once producer's first record of a new transaction may
 * reach the partition leader while the markers of the transaction just committed are still being
 * written; the leader answers {@code CONCURRENT_TRANSACTIONS}, the producer retries, and its
 * {@code org.apache.kafka.clients.producer.internals.Sender} logs each retry at WARN:
 * {@code Got error produce response with correlation id 235 on topic-partition
 * inflight-trainer-inflight-journal-changelog-0, retrying (2147483646 attempts left). Error:
 * CONCURRENT_TRANSACTIONS}. Nothing is lost or duplicated, and the user can do nothing about it. The
 * same logger warns about retries that do matter (other errors, unknown topics, metadata), so its
 * level stays WARN and slf4j-simple has no per-message filter: this stream drops exactly the lines
 * slf4j-simple writes for that message (one {@code println} per event, its format set in
 * {@code simplelogger.properties}).
 *
 * <p>The embedded broker's shutdown adds one more line of the same kind, at the end of every command
 * that started it: its controller-registration channel ({@code NodeToControllerChannelManager ...
 * name=registration}) is closed twice, and the second close warns {@code Attempting to close
 * NetworkClient that has already been closed.} It is dropped too; other {@code NetworkClient}
 * warnings (connection trouble) are kept.
 *
 * <p>{@code -D}{@value #SHOW_PROPERTY}{@code =true} shows them again.
 */
final class ConcurrentTransactionsFilter extends PrintStream {

    /** The system property that shows the warnings again. */
    static final String SHOW_PROPERTY = "inflight.log.concurrent.transactions";

    private ConcurrentTransactionsFilter(PrintStream err) {
        super(err, true);
    }

    /** Replaces {@code System.err} by a filtered one, unless {@value #SHOW_PROPERTY} is true. */
    static void install() {
        if (!Boolean.getBoolean(SHOW_PROPERTY) && !(System.err instanceof ConcurrentTransactionsFilter)) {
            System.setErr(new ConcurrentTransactionsFilter(System.err));
        }
    }

    /** Whether {@code line} is the producer's retry warning for {@code CONCURRENT_TRANSACTIONS}. */
    static boolean dropped(String line) {
        if (line == null) {
            return false;
        }
        return line.contains(" WARN Sender - ") && line.contains("Got error produce response")
                && line.endsWith("Error: CONCURRENT_TRANSACTIONS")
                || line.contains(" WARN NetworkClient - [NodeToControllerChannelManager ")
                && line.endsWith("Attempting to close NetworkClient that has already been closed.");
    }

    @Override
    public void println(String line) {
        if (!dropped(line)) {
            super.println(line);
        }
    }
}
