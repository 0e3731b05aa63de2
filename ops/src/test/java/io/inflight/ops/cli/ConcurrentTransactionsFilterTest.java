package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Standard error loses the producer's CONCURRENT_TRANSACTIONS retry warnings and the broker's double-close warning, nothing else. */
class ConcurrentTransactionsFilterTest {

    /** As {@code demo} printed it on an embedded broker (slf4j-simple, the format of simplelogger.properties). */
    private static final String RETRY = "15:58:01.991 WARN Sender - [Producer clientId=inflight-trainer-fe7b1312-9158-44bb-"
            + "97e8-47bd59fdccce-StreamThread-1-producer, transactionalId=inflight-trainer-fe7b1312-9158-44bb-97e8-"
            + "47bd59fdccce-1] Got error produce response with correlation id 235 on topic-partition inflight-trainer-"
            + "inflight-journal-changelog-0, retrying (2147483646 attempts left). Error: CONCURRENT_TRANSACTIONS";

    /** As every command that started the embedded broker printed it at its end. */
    private static final String SHUTDOWN = "20:25:59.252 WARN NetworkClient - [NodeToControllerChannelManager id=1 "
            + "name=registration] Attempting to close NetworkClient that has already been closed.";

    @Test
    void shouldDropOnlyTheConcurrentTransactionsRetryWarning() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream original = System.err;
        try {
            System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            ConcurrentTransactionsFilter.install();
            ConcurrentTransactionsFilter.install(); // once only
            System.err.println(RETRY);
            System.err.println(RETRY.replace("CONCURRENT_TRANSACTIONS", "NOT_LEADER_OR_FOLLOWER"));
            System.err.println("15:58:07.983 WARN NetworkClient - something else. Error: CONCURRENT_TRANSACTIONS");
            System.err.println(SHUTDOWN);
            System.err.println(SHUTDOWN.replace("Attempting to close NetworkClient that has already been closed.",
                    "Connection to node 1 (localhost/127.0.0.1:39092) could not be established."));
            System.err.println("error: training stopped");
        } finally {
            System.setErr(original);
        }
        assertThat(bytes.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
                RETRY.replace("CONCURRENT_TRANSACTIONS", "NOT_LEADER_OR_FOLLOWER"),
                "15:58:07.983 WARN NetworkClient - something else. Error: CONCURRENT_TRANSACTIONS",
                SHUTDOWN.replace("Attempting to close NetworkClient that has already been closed.",
                        "Connection to node 1 (localhost/127.0.0.1:39092) could not be established."),
                "error: training stopped");
    }

    @Test
    void shouldShowThemWhenAskedTo() {
        PrintStream original = System.err;
        System.setProperty(ConcurrentTransactionsFilter.SHOW_PROPERTY, "true");
        try {
            ConcurrentTransactionsFilter.install();
            assertThat(System.err).isSameAs(original);
        } finally {
            System.clearProperty(ConcurrentTransactionsFilter.SHOW_PROPERTY);
            System.setErr(original);
        }
    }
}
