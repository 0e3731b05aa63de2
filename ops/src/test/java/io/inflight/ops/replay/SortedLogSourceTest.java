package io.inflight.ops.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.ops.ItFixtures;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.EventValidator;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The external merge sort of --sort: order, stability, spilling and clean-up; and the order check of the replay loop. */
class SortedLogSourceTest {

    @TempDir
    Path dir;

    /** Records given in a list; optionally fails after {@code failAfter} of them. */
    private static final class ListSource implements ReplaySource {
        private final List<LogRecord> records;
        private final int failAfter;
        private int next;
        boolean closed;

        ListSource(List<LogRecord> records, int failAfter) {
            this.records = records;
            this.failAfter = failAfter;
        }

        @Override
        public LogRecord next() {
            if (next == failAfter) {
                throw new IllegalStateException("input failed");
            }
            return next < records.size() ? records.get(next++) : null;
        }

        @Override
        public double progress() {
            return Double.NaN;
        }

        @Override
        public long resumeSkipped() {
            return 7;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static LogRecord rec(String source, long line, long time) {
        return new LogRecord(source, line, new ClickEvent("id" + line, time, (int) (line & 1),
                List.of(ClickEvent.Field.of("site", "s" + line), new ClickEvent.Field("tags", List.of("x", "y"))),
                List.of(new ClickEvent.Numeric("price", line / 4.0))));
    }

    private static List<LogRecord> drain(ReplaySource s) {
        List<LogRecord> out = new ArrayList<>();
        for (LogRecord r = s.next(); r != null; r = s.next()) {
            out.add(r);
        }
        return out;
    }

    private List<Path> leftovers() throws IOException {
        if (!Files.exists(dir.resolve("sort"))) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir.resolve("sort"))) {
            return s.filter(p -> !p.equals(dir.resolve("sort"))).toList();
        }
    }

    @Test
    void shouldSortMoreEventsThanAChunkStablyAndRemoveTheRuns() throws IOException {
        Random random = new Random(42);
        List<LogRecord> in = new ArrayList<>();
        for (int i = 1; i <= 1_000; i++) {
            in.add(rec(i % 3 == 0 ? "b.csv" : "a.csv", i, random.nextInt(50))); // many ties
        }
        List<LogRecord> expected = new ArrayList<>(in);
        expected.sort(Comparator.comparingLong(r -> r.event().eventTimeMs())); // stable
        ListSource input = new ListSource(in, -1);
        List<LogRecord> out;
        try (SortedLogSource s = new SortedLogSource(input, 64, Long.MAX_VALUE, dir.resolve("sort"), ItFixtures.quiet(), 0)) {
            assertThat(input.closed).isTrue();
            assertThat(s.events()).isEqualTo(1_000);
            assertThat(s.spilledRuns()).isEqualTo(16);
            assertThat(s.resumeSkipped()).isEqualTo(7);
            assertThat(leftovers()).hasSize(17); // the temporary directory and its runs
            out = drain(s);
            assertThat(s.progress()).isEqualTo(1.0);
        }
        assertThat(out).isEqualTo(expected); // the same records (source, line, whole event), ties in input order
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void shouldCutChunksByBytesAndKeepASingleChunkInMemory() throws IOException {
        List<LogRecord> in = List.of(rec("a", 1, 30), rec("a", 2, 10), rec("a", 3, 20), rec("a", 4, 10));
        try (SortedLogSource s = new SortedLogSource(new ListSource(in, -1), 100, Long.MAX_VALUE, dir.resolve("sort"), ItFixtures.quiet(), 0)) {
            assertThat(s.spilledRuns()).isZero();
            assertThat(leftovers()).isEmpty();
            assertThat(drain(s)).extracting(LogRecord::line).containsExactly(2L, 4L, 3L, 1L);
        }
        try (SortedLogSource s = new SortedLogSource(new ListSource(in, -1), 4, Long.MAX_VALUE, dir.resolve("sort"), ItFixtures.quiet(), 0)) {
            assertThat(s.spilledRuns()).as("exactly one chunk").isZero();
        }
        try (SortedLogSource s = new SortedLogSource(new ListSource(in, -1), 100, 1, dir.resolve("sort"), ItFixtures.quiet(), 0)) {
            assertThat(s.spilledRuns()).isEqualTo(4);
            assertThat(drain(s)).extracting(LogRecord::line).containsExactly(2L, 4L, 3L, 1L);
        }
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void shouldRemoveTheRunsWhenTheInputFails() throws IOException {
        List<LogRecord> in = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            in.add(rec("a", i, 100 - i));
        }
        ListSource input = new ListSource(in, 50);
        assertThatThrownBy(() -> new SortedLogSource(input, 10, Long.MAX_VALUE, dir.resolve("sort"), ItFixtures.quiet(), 0))
                .hasMessage("input failed");
        assertThat(input.closed).isTrue();
        assertThat(leftovers()).isEmpty();
    }

    private LogReader csv(String name, String body) throws IOException {
        Path f = Files.writeString(dir.resolve(name), "t,click,site\n" + body, StandardCharsets.UTF_8);
        return LogFormat.CSV.open(f, LogFormat.Options.defaults()
                .withMapping(LogMapping.parse(Map.of("label", "click", "time", "t", "categorical", "site"))));
    }

    @Test
    void shouldSortSeveralFilesWithTiesInFileOrder() throws IOException {
        List<LogRecord> out;
        try (SortedLogSource s = new SortedLogSource(MergedLogSource.concatenated(List.of(
                csv("a.csv", "30,1,a1\n10,0,a2\n20,1,a3\n"), csv("b.csv", "10,1,b1\n5,0,b2\n30,1,b3\n")), 1, Long.MIN_VALUE, e -> {
                }), 2, Long.MAX_VALUE, dir.resolve("sort"), ItFixtures.quiet(), 0)) {
            out = drain(s);
        }
        assertThat(out).extracting(r -> r.event().fields().get(0).values().get(0))
                .containsExactly("b2", "a2", "b1", "a3", "a1", "b3");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void shouldRefuseAnEventOutOfOrderBeyondTheTolerance() throws IOException {
        LogReplay.Settings strictOrder = new LogReplay.Settings(new Pacer.FullSpeed(), new EventValidator(EventLimits.DEFAULTS), 0,
                Long.MAX_VALUE);
        List<ClickEvent> sent = new ArrayList<>();
        SkipReporter skips = new SkipReporter(false, ItFixtures.quiet(), 10);
        try (MergedLogSource s = new MergedLogSource(List.of(csv("a.csv", "1000,1,a1\n3000,0,a2\n2500,1,a3\n")), 1, Long.MIN_VALUE, skips)) {
            assertThatThrownBy(() -> LogReplay.run(s, skips, r -> sent.add(r.event()), strictOrder, ItFixtures.quiet(), () -> false))
                    .isInstanceOfSatisfying(OutOfOrderException.class, e -> assertThat(e.sentBefore()).isEqualTo(2))
                    .hasMessageEndingWith("a.csv:4: event time 1970-01-01T00:00:02.500Z is earlier than 1970-01-01T00:00:03Z "
                            + "of the event before it (" + dir.resolve("a.csv") + ":3)");
        }
        LogReplay.Settings tolerant = new LogReplay.Settings(new Pacer.FullSpeed(), new EventValidator(EventLimits.DEFAULTS), 0,
                Long.MAX_VALUE, 500);
        try (MergedLogSource s = new MergedLogSource(List.of(csv("b.csv", "1000,1,a1\n3000,0,a2\n2500,1,a3\n3100,1,a4\n")), 1,
                Long.MIN_VALUE, skips)) {
            ReplaySummary sum = LogReplay.run(s, skips, r -> { }, tolerant, ItFixtures.quiet(), () -> false);
            assertThat(sum.produced()).isEqualTo(4);
            assertThat(sum.outOfOrder()).isEqualTo(1);
            assertThat(sum.line("Produced")).contains(", 1 out of time order within the tolerance");
        }
    }
}
