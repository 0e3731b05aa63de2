package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.inflight.topics.ClickEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the first records of each real log in {@code shared/data} (next to the project; skipped
 * when the folder is absent: the data may not be redistributed, so it is never in the repository).
 */
class RealLogsTest {

    private static final int N = 2_000;
    private static Path data;

    @BeforeAll
    static void locate() {
        data = findSharedData();
    }

    /** {@code shared/data} in the working directory or any parent, or null. */
    static Path findSharedData() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path file(String relative) {
        assumeTrue(data != null, "shared/data not found: real-log checks skipped");
        Path p = data.resolve(relative);
        assumeTrue(Files.exists(p), p + " not found");
        return p;
    }

    private static List<LogRecord> first(LogReader r, int n) {
        List<LogRecord> out = new ArrayList<>();
        try (r) {
            while (r.hasNext() && out.size() < n) {
                out.add(r.next()); // any malformed line fails the test
            }
        }
        return out;
    }

    @Test
    void shouldReadCriteo() throws IOException {
        Path f = file("criteo-sample/train.tsv");
        List<LogRecord> recs = first(LogFormat.CRITEO.open(f, LogFormat.Options.defaults()), N);
        assertThat(recs).hasSize(N);
        List<String> lines;
        try (var s = Files.lines(f)) {
            lines = s.limit(N).toList();
        }
        for (LogRecord r : recs) {
            String[] cols = lines.get((int) r.line() - 1).split("\t", -1);
            long present = Arrays.stream(cols).skip(1).filter(c -> !c.isEmpty()).count();
            assertThat(cols).hasSize(40);
            assertThat(r.event().fields()).hasSize((int) present);
            assertThat(r.event().fields()).extracting(ClickEvent.Field::name).allMatch(n -> n.matches("[IC]\\d+"));
        }
        assertThat(recs).extracting(r -> r.event().label()).contains(0, 1);
    }

    @Test
    void shouldReadAvazuWithAndWithoutHeader() {
        for (String f : List.of("avazu-sample/train.csv", "avazu-sample/dev.csv")) {
            List<LogRecord> recs = first(LogFormat.AVAZU.open(file(f), LogFormat.Options.defaults()), 400);
            assertThat(recs).hasSize(400);
            assertThat(recs).allSatisfy(r -> {
                assertThat(r.event().fields()).hasSize(21);
                assertThat(r.event().eventTimeMs()).isEqualTo(1_413_849_600_000L); // hour 14102100
            });
        }
    }

    @Test
    void shouldReadMovieLensInTimeOrder() {
        List<LogRecord> recs = first(LogFormat.MOVIELENS.open(file("ml-100k"), LogFormat.Options.defaults()), 200_000);
        assertThat(recs).hasSize(100_000);
        long clicks = recs.stream().filter(r -> r.event().label() == 1).count();
        assertThat(clicks).isEqualTo(55_375);
        for (int i = 1; i < recs.size(); i++) {
            assertThat(recs.get(i).event().eventTimeMs()).isGreaterThanOrEqualTo(recs.get(i - 1).event().eventTimeMs());
        }
        assertThat(recs).allSatisfy(r -> assertThat(r.event().fields().size()).isBetween(6, 7));
    }

    @Test
    void shouldReadTalkingDataWithAGenericMapping() {
        LogMapping m = LogMapping.parse(Map.of("label", "is_attributed", "time", "click_time", "time.format", "yyyy-MM-dd HH:mm:ss",
                "categorical", "ip,app,device,os,channel"));
        List<LogRecord> recs = first(LogFormat.CSV.open(file("talkingdata-100k/train_sample_by_time.csv"),
                LogFormat.Options.defaults().withMapping(m)), N);
        assertThat(recs).hasSize(N).allSatisfy(r -> assertThat(r.event().fields()).hasSize(5));
        assertThat(recs.get(0).line()).isEqualTo(2);
    }

    @Test
    void shouldReadFrappe() {
        List<String> names = List.of("user", "item", "daytime", "weekday", "isweekend", "homework", "cost", "weather", "country", "city");
        List<LogRecord> recs = first(LibFmLogReader.open(file("frappe/frappe.test.libfm"), names, 0, 1000), N);
        assertThat(recs).hasSize(N).allSatisfy(r -> assertThat(r.event().fields()).extracting(ClickEvent.Field::name)
                .containsExactlyElementsOf(names));
    }
}
