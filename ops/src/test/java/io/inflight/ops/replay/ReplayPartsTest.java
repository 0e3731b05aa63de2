package io.inflight.ops.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.ops.ItFixtures;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.EventValidator;
import io.inflight.topics.RejectReason;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.LogRecord;
import io.inflight.topics.logs.MalformedLineException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merging, resuming, pacing and statistics, on small inline logs. */
class ReplayPartsTest {

    @TempDir
    Path dir;

    private static final LogMapping MAPPING = LogMapping.parse(Map.of("label", "click", "time", "t", "categorical", "site"));

    private LogReader csv(String name, String body) throws IOException {
        Path f = Files.writeString(dir.resolve(name), "t,click,site\n" + body, StandardCharsets.UTF_8);
        return LogFormat.CSV.open(f, LogFormat.Options.defaults().withMapping(MAPPING));
    }

    private static List<LogRecord> drain(MergedLogSource s) {
        List<LogRecord> out = new ArrayList<>();
        for (LogRecord r = s.next(); r != null; r = s.next()) {
            out.add(r);
        }
        return out;
    }

    @Test
    void shouldMergeFilesByEventTimeAndReportMalformedLines() throws IOException {
        List<MalformedLineException> bad = new ArrayList<>();
        try (MergedLogSource s = new MergedLogSource(List.of(csv("a.csv", "10,1,a1\n30,0,a2\nx,1,a3\n50,1,a4\n"),
                csv("b.csv", "20,0,b1\n30,1,b2\n40,0,b3\n")), 1, Long.MIN_VALUE, bad::add)) {
            List<LogRecord> out = drain(s);
            assertThat(out).extracting(r -> r.event().fields().get(0).values().get(0))
                    .containsExactly("a1", "b1", "a2", "b2", "b3", "a4");
        }
        assertThat(bad).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(4);
            assertThat(e.source()).endsWith("a.csv");
            assertThat(e.reason()).isEqualTo(RejectReason.BAD_TIME);
        });
    }

    @Test
    void shouldResumeFromALineOrATimeWithoutReportingEarlierBadLines() throws IOException {
        List<MalformedLineException> bad = new ArrayList<>();
        try (MergedLogSource s = new MergedLogSource(List.of(csv("a.csv", "10,1,a1\nbad\n30,0,a3\n40,1,a4\n")), 4, Long.MIN_VALUE, bad::add)) {
            assertThat(drain(s)).extracting(LogRecord::line).containsExactly(4L, 5L);
            assertThat(s.resumeSkipped()).isEqualTo(1);
        }
        assertThat(bad).isEmpty();
        try (MergedLogSource s = new MergedLogSource(List.of(csv("b.csv", "10,1,a1\n30,0,a3\n40,1,a4\n")), 1, 30, bad::add)) {
            assertThat(drain(s)).extracting(r -> r.event().eventTimeMs()).containsExactly(30L, 40L);
        }
    }

    @Test
    void shouldStopAStrictReplayAtTheFirstBadLine() throws IOException {
        SkipReporter strict = new SkipReporter(true, ItFixtures.quiet(), 10);
        assertThatThrownBy(() -> {
            try (MergedLogSource s = new MergedLogSource(List.of(csv("a.csv", "10,1,a1\n20,2,a2\n")), 1, Long.MIN_VALUE, strict)) {
                drain(s);
            }
        }).isInstanceOf(ReplayStoppedException.class).hasMessageContaining("a.csv:3: bad-label");
    }

    @Test
    void shouldTreatInvalidEventsAsMalformedAndCountThem() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SkipReporter skips = new SkipReporter(false, new PrintStream(err, true, StandardCharsets.UTF_8), 10);
        List<ClickEvent> sent = new ArrayList<>();
        // Line 3 has no feature (empty site): valid syntax, but the validator rejects it.
        try (MergedLogSource s = new MergedLogSource(List.of(csv("a.csv", "10,1,a1\n20,0,\n30,1,a3\n")), 1, Long.MIN_VALUE, skips)) {
            ReplaySummary sum = LogReplay.run(s, skips, r -> sent.add(r.event()),
                    new LogReplay.Settings(new Pacer.FullSpeed(), new EventValidator(EventLimits.DEFAULTS), 0, Long.MAX_VALUE),
                    ItFixtures.quiet(), () -> false);
            assertThat(sum.produced()).isEqualTo(2);
            assertThat(sum.skipped()).isEqualTo(1);
            assertThat(sum.line("Produced")).startsWith("Produced 2 events, skipped 1 (malformed), elapsed ");
        }
        assertThat(sent).extracting(ClickEvent::eventTimeMs).containsExactly(10L, 30L);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("a.csv:3: no-features");
    }

    @Test
    void shouldPaceByRateOrByEventTime() {
        long start = 1_000_000_000L;
        assertThat(new Pacer.FullSpeed().waitNanos(100, 0, 0, start, start)).isZero();
        Pacer rate = new Pacer.Rate(1000);
        assertThat(rate.waitNanos(0, 0, 0, start, start)).isZero();
        assertThat(rate.waitNanos(500, 0, 0, start, start + 100_000_000L)).isEqualTo(400_000_000L);
        assertThat(rate.waitNanos(500, 0, 0, start, start + 900_000_000L)).isNegative();
        Pacer speedup = new Pacer.Speedup(60);
        // One minute of event time takes one second at 60x.
        assertThat(speedup.waitNanos(7, 1_060_000, 1_000_000, start, start)).isEqualTo(1_000_000_000L);
        assertThatThrownBy(() -> new Pacer.Rate(0)).hasMessageContaining("--rate");
        assertThatThrownBy(() -> new Pacer.Speedup(-1)).hasMessageContaining("--speedup");
    }

    @Test
    void shouldCountDistinctExactlyBelowTheCapAndEstimateAbove() {
        LogStatistics stats = new LogStatistics(1000);
        for (int i = 0; i < 50_000; i++) {
            List<ClickEvent.Field> fields = new ArrayList<>();
            fields.add(ClickEvent.Field.of("small", Integer.toString(i % 7)));
            fields.add(ClickEvent.Field.of("big", "v" + i));
            if (i % 4 == 0) {
                fields.add(ClickEvent.Field.of("sparse", i % 8 == 0 ? "x" : "y"));
            }
            stats.add(new ClickEvent(null, i, i % 2, fields, List.of(new ClickEvent.Numeric("n", i))));
        }
        assertThat(stats.distinct("small")).isEqualTo(7);
        assertThat(stats.estimated("small")).isFalse();
        assertThat(stats.top5("small")).extracting(Map.Entry::getKey).containsExactly("0", "1", "2", "3", "4");
        assertThat(stats.top5("small").get(0).getValue()).isEqualTo(7143);
        assertThat(stats.estimated("big")).isTrue();
        assertThat(stats.distinct("big")).isBetween(48_000L, 52_000L);
        assertThat(stats.missingRate("sparse")).isEqualTo(0.75);
        assertThat(stats.missingRate("n")).isZero();
        assertThat(stats.missingRate("absent")).isEqualTo(1.0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        stats.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("events 50,000").containsPattern("big +0\\.00% +~").contains("numeric");
    }
}
