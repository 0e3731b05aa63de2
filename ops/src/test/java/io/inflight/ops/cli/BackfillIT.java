package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backfill recipe of the README, as a user runs it: {@code replay} a shared log into the clicks
 * topic (embedded broker, data in a directory), then {@code train --until-caught-up}; each command
 * is its own JVM and ends by itself. Skipped when the shared logs ({@code ../shared/data} from the
 * repository) are absent.
 */
@Timeout(900)
class BackfillIT {

    private static final Pattern HASH = Pattern.compile("model hash \\(rows, optimizer state, dense\\): ([0-9a-f]{64})");
    private static final Pattern SCORED = Pattern.compile("scored ([0-9,]+) events");
    /** 100,000 % 48 = 16: the last batch is partial. */
    private static final String BATCH = "inflight.train.batch.size=48";
    private static final String FIELDS = "inflight.model.fields=user,item,age,gender,occupation,zip,genres";

    private static Path work;
    private static Path broker;
    private static long produced;

    @BeforeAll
    static void replay() throws Exception {
        Path data = Stream.of(Path.of("..", "..", "shared", "data", "ml-100k"), Path.of("..", "shared", "data", "ml-100k"))
                .filter(Files::isDirectory).findFirst().orElse(null);
        Assumptions.assumeTrue(data != null, "the shared logs (../shared/data/ml-100k) are absent");
        work = ItFixtures.workDir("backfill");
        broker = work.resolve("broker");
        Run r = run("replay", List.of("replay", "--format", "movielens", data.toString(), "--data-dir", broker.toString()));
        assertThat(r.code()).as(r.out()).isZero();
        Matcher m = Pattern.compile("Produced ([0-9,]+) events, skipped ([0-9,]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        produced = number(m.group(1));
        assertThat(produced).isEqualTo(100_000); // ml-100k: every line is an event
    }

    @Test
    void shouldEndABackfillByItselfWithEveryEventScoredAndTheSameModelOnASecondRun() throws Exception {
        List<String> hashes = new ArrayList<>();
        for (String app : List.of("first", "second")) {
            Run r = run("train-" + app, train(app, "--until-caught-up"));
            assertThat(r.code()).as(r.out()).isZero();
            assertThat(r.out()).contains("Caught up with the stop offsets").contains("=== Inflight train summary ===")
                    .contains("; none waits for a batch");
            assertThat(scored(r.out())).as("every event scored, the last 16 in a partial batch").isEqualTo(produced);
            assertThat(r.out()).as("no progress line of AUC NaN").doesNotContain("AUC NaN");
            assertThat(r.out()).as("the table's bytes and rows in the summary")
                    .containsPattern("(?m)^  table [0-9.]+ (kB|MB)$").containsPattern("(?m)^  rows [0-9,]+, by chunks ");
            hashes.add(hash(r.out()));
        }
        assertThat(hashes.get(1)).as("the same model on a second run").isEqualTo(hashes.get(0));
    }

    /**
     * {@code --max-events} ends a run after its events (the last partial batch trained) and holds the
     * rest; a second run trains them. The same two runs give the same model whether the second
     * restores from a checkpoint (one at every commit) or re-applies the first run's journal, flush
     * point included.
     */
    @Test
    void shouldContinueAfterMaxEventsToTheSameModelFromTheJournalAsFromACheckpoint() throws Exception {
        List<String> hashes = new ArrayList<>();
        for (String cadence : List.of("0", "3600000")) {
            String app = "max-" + cadence;
            String interval = "inflight.checkpoint.interval.ms=" + cadence;
            Run first = run(app + "-a", train(app, "--max-events", "1000", "--set", interval));
            assertThat(first.code()).as(first.out()).isZero();
            assertThat(scored(first.out())).as("1,000 = 20 batches of 48 and a partial one of 40").isEqualTo(1_000);
            Run second = run(app + "-b", train(app, "--until-caught-up", "--set", interval));
            assertThat(second.code()).as(second.out()).isZero();
            assertThat(scored(second.out())).as(second.out()).isEqualTo(produced);
            hashes.add(hash(second.out()));
        }
        assertThat(hashes.get(1)).as("journal replay = checkpoint restore").isEqualTo(hashes.get(0));
    }

    @Test
    void shouldStopCleanlyWithExitZeroOnSigterm() throws Exception {
        Path log = work.resolve("sigterm.out");
        Process p = start(train("sigterm"), log);
        try {
            Await.until(Duration.ofSeconds(180), Duration.ofMillis(200), () -> "a progress line:\n" + read(log),
                    () -> assertThat(p.isAlive()).as(read(log)).isTrue(),
                    () -> read(log).contains("] events ") ? true : null);
        } finally {
            p.destroy(); // SIGTERM, what schedulers send
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        }
        String out = read(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("Stopping...").contains("=== Inflight train summary ===").containsPattern(HASH.pattern());
    }

    private static List<String> train(String app, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data-dir", broker.toString(), "--progress-interval", "1",
                "--set", "inflight.application.id=" + app, "--set", "inflight.state.dir=" + work.resolve("state-" + app),
                "--set", BATCH, "--set", FIELDS));
        args.addAll(List.of(extra));
        return args;
    }

    private record Run(int code, String out) {
    }

    /** Runs the packaged command line to its end (at most 5 minutes). */
    private static Run run(String name, List<String> args) throws Exception {
        Path log = work.resolve(name + ".out");
        Process p = start(args, log);
        boolean exited = p.waitFor(300, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("%s ended by itself:%n%s", name, read(log)).isTrue();
        return new Run(p.exitValue(), read(log));
    }

    private static Process start(List<String> args, Path log) throws IOException {
        Path jar = Path.of("target", "inflight-ops.jar");
        assertThat(jar).exists();
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xmx1g", "-jar", jar.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static long scored(String out) {
        Matcher m = SCORED.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return number(m.group(1));
    }

    private static String hash(String out) {
        Matcher m = HASH.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
