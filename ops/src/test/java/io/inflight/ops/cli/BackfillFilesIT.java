package io.inflight.ops.cli;

import static io.inflight.ops.cli.JarRuns.hash;
import static io.inflight.ops.cli.JarRuns.scored;
import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.cli.JarRuns.Produced;
import io.inflight.ops.cli.JarRuns.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backfill recipe ({@code replay}, then {@code train --until-caught-up}, each its own JVM on an
 * embedded broker keeping its data in a directory) on log files the test writes: a {@code ::}-separated
 * file read through the generic mapping, and a file whose event times are out of order.
 */
@Timeout(900)
class BackfillFilesIT {

    /** Events of a log: 2,450 = 76 batches of 32 (the default size) and a partial one of 18. */
    private static final int EVENTS = 2_450;
    private static final List<String> MAPPING = List.of("--format", "csv", "--map", "separator=::", "--map", "header=false",
            "--map", "columns=user,item,rating,ts", "--map", "label=rating", "--map", "label.rule=>=4", "--map", "time=ts",
            "--map", "time.format=epoch-s", "--map", "categorical=user,item");
    private static final List<String> FIELDS = List.of("inflight.model.fields=user,item");

    private static Path work;

    @BeforeAll
    static void workDir() throws IOException {
        work = ItFixtures.workDir("backfill-files");
    }

    @Test
    void shouldReplayADoubleColonSeparatedLogThroughTheMappingAndScoreEveryLineThatParsed() throws Exception {
        List<String> lines = new ArrayList<>(ratings());
        lines.add(100, "not a rating line"); // one column, not four
        lines.add(1_000, "7::70::x::978301000"); // a label that is not a number
        lines.add(2_000, "8::80::4"); // three columns
        Path log = write("ratings.dat", lines);
        Path broker = work.resolve("broker-colons");

        Run replay = replay("replay-colons", broker, log);
        assertThat(replay.code()).as(replay.out()).isZero();
        Produced p = JarRuns.produced(replay.out());
        assertThat(p.skipped()).as("the three malformed lines").isEqualTo(3);
        assertThat(p.events()).isEqualTo(lines.size() - p.skipped());
        assertThat(replay.out()).contains("ratings.dat:101: bad-syntax").contains("ratings.dat:1001: bad-label")
                .contains("ratings.dat:2001: bad-syntax");

        Run train = JarRuns.run(work.resolve("train-colons.out"), JarRuns.train(broker, work, "colons", FIELDS,
                "--until-caught-up"));
        assertThat(train.code()).as(train.out()).isZero();
        assertThat(scored(train.out())).as("every line but the malformed ones, the last partial batch included")
                .isEqualTo(lines.size() - 3);
        assertThat(train.out()).contains("; none waits for a batch");
    }

    @Test
    void shouldRefuseAnUnsortedLogWithExitTwoAndTrainItSortedByReplaySortAsThePresortedLog() throws Exception {
        List<String> sorted = ratings();
        List<String> unsorted = new ArrayList<>(sorted);
        for (int i = 500; i + 1 < unsorted.size(); i += 500) { // a later event before an earlier one, every 500 lines
            unsorted.set(i, sorted.get(i + 1));
            unsorted.set(i + 1, sorted.get(i));
        }
        Path unsortedLog = write("unsorted.dat", unsorted);
        int firstOutOfOrder = firstOutOfOrder(unsorted);
        assertThat(firstOutOfOrder).as("the test's own log is out of order").isPositive();

        Run refused = replay("replay-refused", work.resolve("broker-refused"), unsortedLog);
        assertThat(refused.code()).as(refused.out()).isEqualTo(2);
        assertThat(refused.out()).contains("error: not in time order: " + unsortedLog + ":" + (firstOutOfOrder + 1)
                + ": event time ").contains("Pass --sort to sort the input by time").doesNotContain("\tat ");

        List<String> presorted = new ArrayList<>(unsorted);
        presorted.sort(Comparator.comparingLong(BackfillFilesIT::time)); // stable, as --sort
        List<String> hashes = new ArrayList<>();
        for (String name : List.of("sort", "presorted")) {
            Path broker = work.resolve("broker-" + name);
            Run replay = name.equals("sort")
                    ? replay("replay-" + name, broker, unsortedLog, "--sort", "--sort-chunk", "700", "--sort-dir",
                    work.resolve("sort").toString())
                    : replay("replay-" + name, broker, write("presorted.dat", presorted));
            assertThat(replay.code()).as(replay.out()).isZero();
            assertThat(JarRuns.produced(replay.out())).isEqualTo(new Produced(EVENTS, 0));
            if (name.equals("sort")) {
                assertThat(replay.out()).contains("Sorted 2,450 events by time in ").contains("(4 runs spilled to ");
            }
            Run train = JarRuns.run(work.resolve("train-" + name + ".out"), JarRuns.train(broker, work, name, FIELDS,
                    "--until-caught-up"));
            assertThat(train.code()).as(train.out()).isZero();
            assertThat(scored(train.out())).as(train.out()).isEqualTo(EVENTS);
            hashes.add(hash(train.out()));
        }
        assertThat(hashes.get(0)).as("replay --sort trains the model of the presorted log").isEqualTo(hashes.get(1));
    }

    /**
     * {@value #EVENTS} ratings {@code user::item::rating::time} (seconds), in time order with some
     * ties; a rating of 4 or 5 (a click) depends on the user and the item, so the model learns.
     */
    private static List<String> ratings() {
        Random rnd = new Random(14);
        List<String> lines = new ArrayList<>();
        long t = 978_300_000L;
        for (int i = 0; i < EVENTS; i++) {
            int user = rnd.nextInt(150);
            int item = rnd.nextInt(400);
            int rating = (user % 3 == 0) ^ (item % 4 == 0) ^ rnd.nextDouble() < 0.2 ? 4 + rnd.nextInt(2) : 1 + rnd.nextInt(3);
            t += rnd.nextInt(3); // 0: the same second as the line before
            lines.add(user + "::" + item + "::" + rating + "::" + t);
        }
        return lines;
    }

    private static long time(String line) {
        return Long.parseLong(line.substring(line.lastIndexOf("::") + 2));
    }

    /** The index of the first line earlier than the one before it, -1 for none. */
    private static int firstOutOfOrder(List<String> lines) {
        for (int i = 1; i < lines.size(); i++) {
            if (time(lines.get(i)) < time(lines.get(i - 1))) {
                return i;
            }
        }
        return -1;
    }

    private static Path write(String name, List<String> lines) throws IOException {
        return Files.write(work.resolve(name), lines);
    }

    private static Run replay(String name, Path broker, Path log, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("replay"));
        args.addAll(MAPPING);
        args.addAll(List.of(extra));
        args.addAll(List.of(log.toString(), "--data-dir", broker.toString()));
        return JarRuns.run(work.resolve(name + ".out"), args);
    }
}
