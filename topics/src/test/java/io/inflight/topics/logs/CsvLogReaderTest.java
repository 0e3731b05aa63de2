package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvLogReaderTest {

    @TempDir
    Path dir;

    private static String criteoLine(String label, String i1, String c1) {
        StringBuilder sb = new StringBuilder(label).append('\t').append(i1);
        for (int i = 2; i <= 13; i++) {
            sb.append('\t').append(i == 13 ? "" : "1");
        }
        sb.append('\t').append(c1);
        for (int i = 2; i <= 26; i++) {
            sb.append('\t').append(i == 26 ? "" : "c" + i);
        }
        return sb.append('\n').toString();
    }

    @Test
    void shouldReadCriteoWithBucketsMissingValuesAndSyntheticTimes() {
        Path f = LogTestFiles.write(dir, "criteo.tsv", criteoLine("1", "100", "68fd1e64") + criteoLine("0", "", "") + criteoLine("0", "2", "x"));
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.CRITEO.open(f, LogFormat.Options.defaults()));
        assertThat(recs).extracting(LogRecord::line).containsExactly(1L, 2L, 3L);
        ClickEvent first = recs.get(0).event();
        assertThat(first.label()).isEqualTo(1);
        // floor(ln(100)^2) = floor(21.2) = 21; 1 stays 1; I13 and C26 are empty, so missing.
        assertThat(first.fields()).hasSize(12 + 25);
        assertThat(first.fields().get(0)).isEqualTo(ClickEvent.Field.of("I1", "L21"));
        assertThat(first.fields().get(1)).isEqualTo(ClickEvent.Field.of("I2", "1"));
        assertThat(first.fields().get(12)).isEqualTo(ClickEvent.Field.of("C1", "68fd1e64"));
        assertThat(first.fields()).extracting(ClickEvent.Field::name).doesNotContain("I13", "C26");
        assertThat(recs.get(1).event().fields()).extracting(ClickEvent.Field::name).doesNotContain("I1", "C1");
        assertThat(recs.get(2).event().fields().get(0)).isEqualTo(ClickEvent.Field.of("I1", "2"));
        assertThat(recs.get(1).event().eventTimeMs() - first.eventTimeMs()).isEqualTo(1000);
    }

    @Test
    void shouldKeepCriteoIntegersNumericWhenAsked() {
        Path f = LogTestFiles.write(dir, "criteo.tsv", criteoLine("0", "7", "a"));
        LogFormat.Options o = new LogFormat.Options(null, new Bucketing.None(), List.of(), 5_000, 10, null);
        ClickEvent e = LogTestFiles.drain(LogFormat.CRITEO.open(f, o)).get(0).event();
        assertThat(e.numerics()).startsWith(new ClickEvent.Numeric("I1", 7.0)).hasSize(12);
        assertThat(e.fields()).hasSize(25);
        assertThat(e.eventTimeMs()).isEqualTo(5_000);
    }

    @Test
    void shouldReportMalformedLinesWithFileAndNumberAndContinue() {
        Path f = LogTestFiles.write(dir, "bad.tsv", criteoLine("1", "1", "a") + "1\t2\t3\n" + criteoLine("x", "1", "a")
                + criteoLine("0", "abc", "a") + criteoLine("0", "1", "b"));
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> ok = LogTestFiles.drain(LogFormat.CRITEO.open(f, LogFormat.Options.defaults()), bad);
        assertThat(ok).extracting(LogRecord::line).containsExactly(1L, 5L);
        assertThat(bad).extracting(MalformedLineException::line).containsExactly(2L, 3L, 4L);
        assertThat(bad).extracting(MalformedLineException::reason)
                .containsExactly(RejectReason.BAD_SYNTAX, RejectReason.BAD_LABEL, RejectReason.BAD_SYNTAX);
        assertThat(bad.get(0)).hasMessage(f + ":2: bad-syntax: expected 40 columns, got 3");
        assertThat(bad.get(2).detail()).contains("'I1'").contains("abc");
    }

    @Test
    void shouldReadGzipByMagicBytesWhateverTheName() {
        Path f = LogTestFiles.writeGzip(dir, "criteo.data", criteoLine("1", "1", "a") + criteoLine("0", "1", "b"));
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.CRITEO.open(f, LogFormat.Options.defaults()));
        assertThat(recs).hasSize(2);
        assertThat(recs.get(1).event().fields()).contains(ClickEvent.Field.of("C1", "b"));
    }

    @Test
    void shouldReadAvazuWithAndWithoutHeader() {
        String header = String.join(",", LogMapping.AVAZU_COLUMNS) + "\n";
        String row = "1000016934911786,1,14102123,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,"
                + "96809ac8,711ee120,1,0,15704,320,50,1722,0,35,-1,79\n";
        for (String text : List.of(header + row, row)) {
            Path f = LogTestFiles.write(dir, "avazu.csv", text);
            List<LogRecord> recs = LogTestFiles.drain(LogFormat.AVAZU.open(f, LogFormat.Options.defaults()));
            assertThat(recs).hasSize(1);
            ClickEvent e = recs.get(0).event();
            assertThat(recs.get(0).line()).isEqualTo(text.startsWith("id") ? 2 : 1);
            assertThat(e.id()).isEqualTo("1000016934911786");
            assertThat(e.label()).isEqualTo(1);
            assertThat(e.eventTimeMs()).isEqualTo(Instant.parse("2014-10-21T23:00:00Z").toEpochMilli());
            assertThat(e.fields()).hasSize(21).startsWith(ClickEvent.Field.of("C1", "1005"));
            assertThat(e.fields()).extracting(ClickEvent.Field::name).doesNotContain("id", "click", "hour");
        }
    }

    @Test
    void shouldMapAGenericCsvWithRatingLabelPatternTimeMultiValuesAndBuckets() {
        Path f = LogTestFiles.write(dir, "ratings.csv", """
                user,movie,rating,when,genres,price,age,note
                u1,m1,5,2024-01-31 12:00:00,Drama|War,8,30,"quoted, with comma"
                u2,m2,3,2024-01-31 12:00:01,,0.5,,
                """);
        LogMapping m = LogMapping.parse(Map.of("label", "rating", "label.rule", ">=4", "time", "when",
                "time.format", "yyyy-MM-dd HH:mm:ss", "categorical", "*", "drop", "note", "multi", "genres",
                "numeric", "price:log2,age:bounds:18|25|35"));
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.CSV.open(f, LogFormat.Options.defaults().withMapping(m)));
        assertThat(recs).hasSize(2);
        ClickEvent a = recs.get(0).event();
        assertThat(a.label()).isEqualTo(1);
        assertThat(a.eventTimeMs()).isEqualTo(Instant.parse("2024-01-31T12:00:00Z").toEpochMilli());
        assertThat(a.fields()).containsExactly(ClickEvent.Field.of("user", "u1"), ClickEvent.Field.of("movie", "m1"),
                new ClickEvent.Field("genres", List.of("Drama", "War")), ClickEvent.Field.of("price", "4"),
                ClickEvent.Field.of("age", "2"));
        ClickEvent b = recs.get(1).event();
        assertThat(b.label()).isZero();
        assertThat(b.fields()).extracting(ClickEvent.Field::name).containsExactly("user", "movie", "price");
        assertThat(b.fields().get(2).values()).containsExactly("0");
    }

    @Test
    void shouldNameAMissingColumnWhenBinding() {
        Path f = LogTestFiles.write(dir, "x.csv", "a,b\n1,2\n");
        LogMapping m = LogMapping.parse(Map.of("label", "clicked", "categorical", "a"));
        assertThatThrownBy(() -> LogFormat.CSV.open(f, LogFormat.Options.defaults().withMapping(m)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'clicked'").hasMessageContaining("[a, b]");
    }

    @Test
    void shouldStopAtABrokenQuoteAfterReportingIt() {
        Path f = LogTestFiles.write(dir, "q.csv", "label,a\n1,x\n0,\"unterminated\n1,y\n");
        LogMapping m = LogMapping.parse(Map.of("label", "label", "categorical", "a"));
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> ok = LogTestFiles.drain(LogFormat.CSV.open(f, LogFormat.Options.defaults().withMapping(m)), bad);
        assertThat(ok).hasSize(1);
        assertThat(bad).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(3);
            assertThat(e.reason()).isEqualTo(RejectReason.BAD_SYNTAX);
        });
    }
}
