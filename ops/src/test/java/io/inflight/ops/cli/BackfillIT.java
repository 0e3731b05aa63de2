package io.inflight.ops.cli;

import static io.inflight.ops.cli.JarRuns.hash;
import static io.inflight.ops.cli.JarRuns.read;
import static io.inflight.ops.cli.JarRuns.scored;
import static io.inflight.ops.cli.JarRuns.start;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.cli.JarRuns.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        produced = JarRuns.produced(r.out()).events();
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
     * restores from a checkpoint (one at every commit) or re-applies the first run's journal, finish
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
        assertThat(out).contains("Stopping...").contains("=== Inflight train summary ===").containsPattern(JarRuns.HASH.pattern());
    }

    private static List<String> train(String app, String... extra) {
        return JarRuns.train(broker, work, app, List.of(BATCH, FIELDS), extra);
    }

    /** Runs the packaged command line to its end (at most 5 minutes), the output in {@code name}.out. */
    private static Run run(String name, List<String> args) throws Exception {
        return JarRuns.run(work.resolve(name + ".out"), args);
    }
}
