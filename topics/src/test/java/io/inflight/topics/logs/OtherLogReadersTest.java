package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.RejectReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** libFM, MovieLens and JSON-lines readers on inline samples. */
class OtherLogReadersTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadLibFmPositionallyAndLibFfmByField() {
        Path f = LogTestFiles.write(dir, "x.libfm", "-1 204:1 4798:1\n\n# comment\n1 42:1 7:0.5 9:0\n1 0:204:1 1:88:1\nbad 1:1\n1 a:b:c:d\n");
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> recs = LogTestFiles.drain(LibFmLogReader.open(f, List.of("user", "item"), 0, 10), bad);
        assertThat(recs).extracting(LogRecord::line).containsExactly(1L, 4L, 5L);
        ClickEvent a = recs.get(0).event();
        assertThat(a.label()).isZero();
        assertThat(a.fields()).containsExactly(ClickEvent.Field.of("user", "204"), ClickEvent.Field.of("item", "4798"));
        ClickEvent b = recs.get(1).event();
        assertThat(b.label()).isEqualTo(1);
        assertThat(b.eventTimeMs()).isEqualTo(30);
        assertThat(b.fields()).containsExactly(ClickEvent.Field.of("user", "42"));
        assertThat(b.numerics()).containsExactly(new ClickEvent.Numeric("x7", 0.5));
        assertThat(recs.get(2).event().fields()).containsExactly(ClickEvent.Field.of("user", "204"), ClickEvent.Field.of("item", "88"));
        assertThat(bad).extracting(MalformedLineException::line).containsExactly(6L, 7L);
        assertThat(bad).extracting(MalformedLineException::reason).containsExactly(RejectReason.BAD_LABEL, RejectReason.BAD_SYNTAX);
    }

    @Test
    void shouldJoinMovieLensSideFilesAndSortByTime() {
        LogTestFiles.write(dir, "u.user", "1|24|M|technician|85711\n2|53|F|other|T8H1N\n");
        LogTestFiles.write(dir, "u.genre", "unknown|0\nAction|1\nAdventure|2\n\n");
        String flags = "|0|1|1" + "|0".repeat(16);
        LogTestFiles.write(dir, "u.item", "10|Toy|01-Jan-1995||http://x" + flags + "\n11|Other|01-Jan-1995||http://y|1" + "|0".repeat(18) + "\n");
        LogTestFiles.write(dir, "u.data", "1\t10\t5\t300\n2\t11\t3\t100\n2\t99\t4\t50\n1\t10\tx\t1\n2\t10\t4\t200\n");
        MovieLensLogReader r = MovieLensLogReader.open(dir);
        assertThat(r.size()).isEqualTo(3);
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> recs = LogTestFiles.drain(r, bad);
        assertThat(bad).extracting(MalformedLineException::line).containsExactly(3L, 4L);
        assertThat(bad.get(0).detail()).contains("item '99'");
        assertThat(recs).extracting(LogRecord::line).containsExactly(2L, 5L, 1L);
        ClickEvent last = recs.get(2).event();
        assertThat(last.id()).isEqualTo("1:10");
        assertThat(last.eventTimeMs()).isEqualTo(300_000L);
        assertThat(last.label()).isEqualTo(1);
        assertThat(last.fields()).containsExactly(ClickEvent.Field.of("user", "1"), ClickEvent.Field.of("item", "10"),
                ClickEvent.Field.of("age", "18"), ClickEvent.Field.of("gender", "M"), ClickEvent.Field.of("occupation", "technician"),
                ClickEvent.Field.of("zip", "857"), new ClickEvent.Field("genres", List.of("Action", "Adventure")));
        ClickEvent first = recs.get(0).event();
        assertThat(first.label()).isZero();
        assertThat(first.fields()).contains(ClickEvent.Field.of("age", "50"), ClickEvent.Field.of("zip", "T8H"),
                new ClickEvent.Field("genres", List.of("unknown")));
    }

    @Test
    void shouldReadJsonLinesWithAMappingOrInTheEventFormat() {
        Path mapped = LogTestFiles.write(dir, "m.jsonl", """
                {"ts": 1700000000, "clicked": true, "site": "a", "tags": ["x", "y"], "price": 12.5}
                {"ts": 1700000001, "clicked": false, "site": null, "tags": "z", "price": 1}

                {"ts": 1700000002, "clicked": 1, "site": {"nested": 1}}
                not json
                """);
        LogMapping m = LogMapping.parse(Map.of("label", "clicked", "time", "ts", "time.format", "epoch-s",
                "categorical", "site,tags", "multi", "tags", "numeric", "price"));
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.JSONL.open(mapped, LogFormat.Options.defaults().withMapping(m)), bad);
        assertThat(recs).hasSize(2);
        assertThat(recs.get(0).event()).isEqualTo(new ClickEvent(null, 1_700_000_000_000L, 1,
                List.of(ClickEvent.Field.of("site", "a"), new ClickEvent.Field("tags", List.of("x", "y"))),
                List.of(new ClickEvent.Numeric("price", 12.5))));
        assertThat(recs.get(1).event().fields()).containsExactly(new ClickEvent.Field("tags", List.of("z")));
        assertThat(bad).extracting(MalformedLineException::line).containsExactly(4L, 5L);
        assertThat(bad).allSatisfy(e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_SYNTAX));

        Path events = LogTestFiles.write(dir, "e.jsonl", "{\"time\": 5, \"label\": 0, \"fields\": {\"a\": \"b\"}}\n{\"time\": 6}\n");
        bad.clear();
        recs = LogTestFiles.drain(JsonLinesLogReader.open(events, null, EventLimits.DEFAULTS), bad);
        assertThat(recs).singleElement().satisfies(r -> assertThat(r.event().fields()).containsExactly(ClickEvent.Field.of("a", "b")));
        assertThat(bad).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(2);
            assertThat(e.reason()).isEqualTo(RejectReason.MISSING_LABEL);
        });
    }
}
