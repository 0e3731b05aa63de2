package io.inflight.ops.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.ops.ItFixtures;
import io.inflight.topics.ClickEvent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticStreamTest {

    private static List<ClickEvent> take(GeneratorSpec spec) {
        SyntheticStream s = new SyntheticStream(spec);
        List<ClickEvent> out = new ArrayList<>();
        while (s.hasNext()) {
            out.add(s.nextEvent());
        }
        return out;
    }

    private static GeneratorSpec spec(long events, long seed, double noise, List<Long> drift) {
        GeneratorSpec d = GeneratorSpec.defaults(events, seed);
        return new GeneratorSpec(events, d.cardinalities(), d.zipfExponents(), d.latentDim(), d.targetCtr(), noise,
                drift, seed, d.startTimeMs(), d.intervalMs());
    }

    @Test
    void shouldReproduceTheSameStreamForTheSameSeed() {
        assertThat(take(GeneratorSpec.defaults(2000, 3))).isEqualTo(take(GeneratorSpec.defaults(2000, 3)));
        assertThat(take(GeneratorSpec.defaults(2000, 3))).isNotEqualTo(take(GeneratorSpec.defaults(2000, 4)));
    }

    @Test
    void shouldDrawSkewedValuesAndALearnableTeacher() {
        SyntheticStream s = new SyntheticStream(GeneratorSpec.defaults(50_000, 1));
        Map<String, Integer> counts = new HashMap<>();
        String[] values = new String[8];
        while (s.hasNext()) {
            s.next(values);
            counts.merge(values[6], 1, Integer::sum); // the 200,000-value field
        }
        int top = counts.values().stream().max(Integer::compare).orElseThrow();
        assertThat(top).isGreaterThan(50_000 / 100); // Zipf 1.1: the top value is far above uniform (1 in 200,000)
        assertThat(counts.size()).isGreaterThan(1_000);
        assertThat(s.teacherSummary().auc()).isBetween(0.75, 0.95);
        assertThat(s.teacherSummary().clickRate()).isBetween(0.1, 0.4);
    }

    @Test
    void shouldLowerTheCeilingWithLabelNoise() {
        SyntheticStream clean = new SyntheticStream(spec(20_000, 2, 0.0, List.of()));
        SyntheticStream noisy = new SyntheticStream(spec(20_000, 2, 0.3, List.of()));
        String[] v = new String[8];
        while (clean.hasNext()) {
            clean.next(v);
            noisy.next(v);
        }
        assertThat(noisy.teacherSummary().auc()).isLessThan(clean.teacherSummary().auc() - 0.1);
    }

    @Test
    void shouldMoveTheHotSetAtEachDriftPoint() {
        List<ClickEvent> events = take(spec(20_000, 5, 0, List.of(10_000L)));
        String hotBefore = mostCommon(events.subList(0, 10_000), 2);
        String hotAfter = mostCommon(events.subList(10_000, 20_000), 2);
        assertThat(hotAfter).isNotEqualTo(hotBefore);
        List<ClickEvent> noDrift = take(spec(20_000, 5, 0, List.of()));
        assertThat(mostCommon(noDrift.subList(10_000, 20_000), 2)).isEqualTo(hotBefore);
    }

    @Test
    void shouldRejectBadSpecsNamingTheValue() {
        assertThatThrownBy(() -> spec(10, 1, 0.7, List.of())).hasMessageContaining("0.7");
        assertThatThrownBy(() -> spec(10, 1, 0, List.of(5L, 3L))).hasMessageContaining("[5, 3]");
    }

    @Test
    void shouldWriteAGzipTsvWithAHeader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("clicks.tsv.gz");
        Generation.run(GeneratorSpec.defaults(100, 9), new TsvFileSink(file), ItFixtures.quiet());
        List<ClickEvent> expected = take(GeneratorSpec.defaults(100, 9));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(file)),
                StandardCharsets.UTF_8))) {
            assertThat(r.readLine()).isEqualTo("label\tevent_time\tid\tf0\tf1\tf2\tf3\tf4\tf5\tf6\tf7");
            for (ClickEvent e : expected) {
                String[] cols = r.readLine().split("\t");
                assertThat(Integer.parseInt(cols[0])).isEqualTo(e.label());
                assertThat(Long.parseLong(cols[1])).isEqualTo(e.eventTimeMs());
                assertThat(cols[3]).isEqualTo(e.fields().get(0).values().get(0));
            }
            assertThat(r.readLine()).isNull();
        }
    }

    private static String mostCommon(List<ClickEvent> events, int field) {
        Map<String, Integer> c = new HashMap<>();
        events.forEach(e -> c.merge(e.fields().get(field).values().get(0), 1, Integer::sum));
        return c.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
}
