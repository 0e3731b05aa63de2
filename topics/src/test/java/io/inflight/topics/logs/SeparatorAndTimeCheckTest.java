package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generic mapping's {@code separator} and {@code quote} keys, and the warning about implausible event times. */
class SeparatorAndTimeCheckTest {

    @TempDir
    Path dir;

    private static LogMapping mapping(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return LogMapping.parse(m);
    }

    private static LogFormat.Options with(LogMapping m) {
        return LogFormat.Options.defaults().withMapping(m);
    }

    @Test
    void shouldReadADoubleColonSeparatedFileThroughTheGenericMapping() {
        Path f = LogTestFiles.write(dir, "ratings.dat", "1::1193::5::978300760::Drama|War\n2::661::3::978302109::Comedy\n");
        LogMapping m = mapping("separator", "::", "header", "false", "columns", "user,item,rating,ts,genres", "label", "rating",
                "label.rule", ">=4", "time", "ts", "time.format", "epoch-s", "categorical", "user,item,genres", "multi", "genres");
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.CSV.open(f, with(m)));
        assertThat(recs).hasSize(2);
        ClickEvent e = recs.get(0).event();
        assertThat(e.label()).isEqualTo(1);
        assertThat(e.eventTimeMs()).isEqualTo(978_300_760_000L);
        assertThat(e.fields()).containsExactly(ClickEvent.Field.of("user", "1"), ClickEvent.Field.of("item", "1193"),
                new ClickEvent.Field("genres", List.of("Drama", "War")));
        assertThat(recs.get(1).event().label()).isZero();
    }

    @Test
    void shouldAcceptPipeTabAndEscapedTabSeparators() {
        assertThat(mapping("separator", "|", "label", "l", "categorical", "a").separator()).isEqualTo("|");
        assertThat(mapping("separator", "\\t", "label", "l", "categorical", "a").separator()).isEqualTo("\t");
        assertThat(mapping("separator", "tab", "label", "l", "categorical", "a").separator()).isEqualTo("\t");
        assertThat(mapping("separator", "\t", "label", "l", "categorical", "a").separator()).isEqualTo("\t");
        assertThat(mapping("label", "l", "categorical", "a").separator()).isNull();
        Path f = LogTestFiles.write(dir, "p.txt", "l|a|b\n1|x|y\n");
        ClickEvent e = LogTestFiles.drain(LogFormat.CSV.open(f, with(mapping("separator", "|", "label", "l", "categorical", "a,b"))))
                .get(0).event();
        assertThat(e.fields()).containsExactly(ClickEvent.Field.of("a", "x"), ClickEvent.Field.of("b", "y"));
        Path t = LogTestFiles.write(dir, "t.csv", "l\ta\n0\t\"q\"\n");
        ClickEvent te = LogTestFiles.drain(LogFormat.CSV.open(t, with(mapping("separator", "tab", "label", "l", "categorical", "a"))))
                .get(0).event();
        assertThat(te.fields()).containsExactly(ClickEvent.Field.of("a", "q"));
    }

    @Test
    void shouldTreatQuotesAsTextWhenQuotingIsOff() {
        Path f = LogTestFiles.write(dir, "q.csv", "l,a,b\n1,\"x,y\n0,\"z\",w\n");
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> on = LogTestFiles.drain(LogFormat.CSV.open(f, with(mapping("label", "l", "categorical", "a,b"))), bad);
        assertThat(on).isEmpty(); // with quoting, the quote opened on line 2 swallows the file
        assertThat(bad).hasSize(1);

        List<LogRecord> off = LogTestFiles.drain(LogFormat.CSV.open(f, with(mapping("quote", "false", "label", "l", "categorical", "a,b"))));
        assertThat(off).hasSize(2);
        assertThat(off.get(0).event().fields()).containsExactly(ClickEvent.Field.of("a", "\"x"), ClickEvent.Field.of("b", "y"));
        assertThat(off.get(1).event().fields()).containsExactly(ClickEvent.Field.of("a", "\"z\""), ClickEvent.Field.of("b", "w"));

        Path t = LogTestFiles.write(dir, "q.tsv", "l\ta\n1\t\"x\ty\"\n");
        List<LogRecord> tsvOn = LogTestFiles.drain(LogFormat.TSV.open(t, with(mapping("quote", "on", "label", "l", "categorical", "a"))));
        assertThat(tsvOn.get(0).event().fields()).containsExactly(ClickEvent.Field.of("a", "x\ty"));
    }

    @Test
    void shouldRejectBadSeparatorOrQuoteValuesByName() {
        assertThatThrownBy(() -> mapping("separator", "", "label", "l", "categorical", "a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("separator");
        assertThatThrownBy(() -> mapping("quote", "maybe", "label", "l", "categorical", "a"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("quote must be true");
    }

    @Test
    void shouldHintAtTheSeparatorWhenTheHeaderIsOneColumn() {
        Path f = LogTestFiles.write(dir, "r.dat", "user::item::rating\n1::2::5\n");
        assertThatThrownBy(() -> LogFormat.CSV.open(f, with(mapping("label", "rating", "categorical", "user,item"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is the separator right?")
                .hasMessageContaining("separator=::");
    }

    @Test
    void shouldWarnOnceWithTheFirstLineWhenSecondsAreReadAsMilliseconds() {
        Path f = LogTestFiles.write(dir, "s.csv", "l,ts,a\n1,1600000000,x\n0,1600000001,y\n");
        List<String> warnings = timeWarnings(f, mapping("label", "l", "time", "ts", "categorical", "a"), 2);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).startsWith("warning: " + f + ":2: ").contains("before 1971")
                .contains("set time.format=epoch-s");
    }

    @Test
    void shouldWarnWhenMillisecondsAreReadAsSecondsAndNotWhenTimesArePlausible() {
        Path f = LogTestFiles.write(dir, "ms.csv", "l,ts,a\n1,1600000000123,x\n");
        LogMapping seconds = mapping("label", "l", "time", "ts", "time.format", "epoch-s", "categorical", "a");
        assertThat(timeWarnings(f, seconds, 1)).singleElement().asString().contains(":2: ").contains("after 2100")
                .contains("set time.format=epoch-ms");

        Path ok = LogTestFiles.write(dir, "ok.csv", "l,ts,a\n1,1600000000,x\n");
        assertThat(timeWarnings(ok, seconds, 1)).isEmpty();
    }

    /** Reads csv file {@code f} with {@code m} (expecting {@code events} events) and returns the warnings it gave. */
    private static List<String> timeWarnings(Path f, LogMapping m, int events) {
        CsvLogReader r = CsvLogReader.open(f, CsvLogReader.Dialect.CSV, m);
        List<String> warnings = new ArrayList<>();
        r.mapper().warnings(warnings::add);
        assertThat(LogTestFiles.drain(r)).hasSize(events);
        return warnings;
    }

    @Test
    void shouldSuggestCheckingThePatternForAnImplausibleDate() {
        TimeFormat tf = TimeFormat.parse("yyyy-MM-dd", java.time.ZoneId.of("UTC"));
        long ms = tf.toEpochMs("1900-01-01");
        assertThat(TimeFormat.implausible(ms)).isTrue();
        assertThat(tf.implausibleMessage("day", "1900-01-01", ms)).contains("before 1971").contains("check time.format");
    }
}
