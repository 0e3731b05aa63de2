package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code replay --dry-run} needs no broker: exit 0 when a line validated, 1 with one line saying so when none did. */
@Timeout(60)
class ReplayDryRunTest {

    private static final String HEADER = "t,click,site\n";

    @TempDir
    Path tmp;


    private CliRun dryRun(String name, String content, String... more) throws Exception {
        Path log = Files.writeString(tmp.resolve(name), content);
        String[] args = {"replay", "--dry-run", "--format", "csv", "--map", "label=click", "--map", "time=t",
                "--map", "categorical=site", "--progress-interval", "0", log.toString()};
        String[] all = new String[args.length + more.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return cli(all);
    }

    @Test
    void shouldExitZeroWhenSomeLinesValidated() throws Exception {
        CliRun r = dryRun("some.csv", HEADER + "1000,1,s1\nnot-a-time,0,s2\n2000,0,s3\n");
        assertThat(r.rc()).as(r.all()).isZero();
        assertThat(r.out()).contains("Validated 2 events, skipped 1 (malformed)");
        assertThat(r.err()).doesNotContain("no line validated");
    }

    @Test
    void shouldExitOneWithOneLineWhenNoLineValidated() throws Exception {
        CliRun r = dryRun("none.csv", HEADER + "not-a-time,1,s1\nlater,0,s2\n");
        assertThat(r.rc()).as(r.all()).isEqualTo(1);
        assertThat(r.out()).contains("Validated 0 events, skipped 2 (malformed)");
        assertThat(r.err().lines().filter(l -> l.startsWith("error:")).toList()).containsExactly(
                "error: no line validated (2 malformed): check --format and the mapping against the file");
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void shouldExitOneForALogWithoutEvents() throws Exception {
        CliRun r = dryRun("empty.csv", HEADER);
        assertThat(r.rc()).as(r.all()).isEqualTo(1);
        assertThat(r.err()).contains("error: no line validated (0 malformed)\n".replace("\n", System.lineSeparator()));

        CliRun resumed = dryRun("past.csv", HEADER + "1000,1,s1\n2000,0,s3\n", "--from-line", "10");
        assertThat(resumed.rc()).as(resumed.all()).isEqualTo(1);
        assertThat(resumed.err()).contains("error: no line validated (0 malformed, 2 before the resume point)");
    }

    @Test
    void shouldRefuseALogOutOfTimeOrderWithExitTwoAndSortItWithSort() throws Exception {
        String body = HEADER + "1000,1,s1\n3000,0,s2\n2000,1,s3\n3000,0,s4\n";
        CliRun r = dryRun("unsorted.csv", body);
        assertThat(r.rc()).as(r.all()).isEqualTo(2);
        assertThat(r.err().lines().filter(l -> l.startsWith("error:")).toList()).containsExactly("error: not in time order: "
                + tmp.resolve("unsorted.csv") + ":4: event time 1970-01-01T00:00:02Z is earlier than 1970-01-01T00:00:03Z of the event "
                + "before it (" + tmp.resolve("unsorted.csv") + ":3); 2 events validated before it. Pass --sort to sort the input by time "
                + "(or --order-tolerance-ms to accept small differences)");
        assertThat(r.err()).doesNotContain("\tat ");

        Path sortDir = tmp.resolve("sort");
        CliRun sorted = dryRun("unsorted.csv", body, "--sort", "--sort-chunk", "2", "--sort-dir", sortDir.toString());
        assertThat(sorted.rc()).as(sorted.all()).isZero();
        assertThat(sorted.out()).contains("Sorted 4 events by time in ").contains("(2 runs spilled to " + sortDir + ")")
                .contains("Validated 4 events, skipped 0 (malformed)");
        try (var left = Files.list(sortDir)) {
            assertThat(left).isEmpty();
        }

        CliRun tolerant = dryRun("unsorted.csv", body, "--order-tolerance-ms", "1000");
        assertThat(tolerant.rc()).as(tolerant.all()).isZero();
        assertThat(tolerant.out()).contains("Validated 4 events, skipped 0 (malformed)").contains("1 out of time order within the tolerance");
    }

    private static CliRun cli(String... args) {
        return CliRun.of(args);
    }
}
