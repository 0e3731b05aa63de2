package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad serve options exit 2 naming the option and the value, before anything connects. */
class ServeOptionsTest {

    @ParameterizedTest
    @CsvSource({"--port,-1", "--port,70000", "--threads,0", "--backlog,0", "--read-timeout-ms,0",
            "--idle-timeout-ms,-5", "--max-body-bytes,0", "--threads,many"})
    void shouldRefuseABadValueWithExitCode2(String option, String value) {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            rc = InflightCli.run("serve", "-b", "127.0.0.1:1", option, value);
        } finally {
            System.setErr(err);
        }
        String message = captured.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(message).isEqualTo(2);
        assertThat(message).contains(option).contains(value);
    }
}
