package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.ops.bench.StalenessBench;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench staleness --quick} runs in-process on the generated stream (no data needed), so the
 * bench cannot rot: the three quick cells, every key on every line, the reference's delta exactly 0,
 * the others paired with it; bad flags exit 2 naming the flag.
 */
class BenchStalenessCommandTest {

    @Test
    void quickRunHasTheQuickCellsWithEveryKey() throws Exception {
        CliRun r = CliRun.of("bench", "staleness", "--quick", "--json");
        assertThat(r.rc()).as("stderr: %s", r.err()).isZero();
        List<String> lines = Arrays.stream(r.out().split("\n")).filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(3);
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> nodes = new ArrayList<>();
        for (String l : lines) {
            JsonNode n = mapper.readTree(l);
            for (String k : StalenessBench.JSON_KEYS) {
                assertThat(n.has(k)).as("key %s in %s", k, l).isTrue();
            }
            assertThat(n.get("status").asText()).isEqualTo("ok");
            assertThat(n.get("stream").asText()).isEqualTo("generated");
            assertThat(n.get("model").asText()).isEqualTo("deepfm");
            assertThat(n.get("events").asLong()).isEqualTo(5_000);
            assertThat(n.get("auc").asDouble()).isBetween(0.5, 1.0);
            double keys = n.get("distinct_keys_per_batch").asDouble();
            assertThat(keys).isGreaterThan(0).isLessThanOrEqualTo(256 * 26);
            // the wire model grows with the shards by exactly 2 x 70 B per shard per batch (20 batches of 5,000
            // events), the figures printed to 0.1 B
            double s1 = n.get("wire_bytes_per_event_s1").asDouble();
            assertThat(n.get("wire_bytes_per_event_s16").asDouble() - s1).isCloseTo(15 * 140 * 20 / 5_000.0, within(0.11));
            assertThat(s1).isCloseTo((keys * (8 + 8 + 4 + 4 * 17 + 4 * 17) + 140) * 20 / 5_000.0, within(0.06));
            nodes.add(n);
        }
        JsonNode ref = nodes.get(0);
        assertThat(List.of(ref.get("window").asInt(), ref.get("trainers").asInt(), ref.get("sync_every").asInt()))
                .containsExactly(1, 1, 0);
        assertThat(ref.get("delta_auc").asDouble()).isEqualTo(0.0);
        assertThat(ref.get("delta_auc_se").isNull()).isTrue();
        assertThat(ref.get("dense_sync_bytes_per_event").asDouble()).isEqualTo(0.0);
        assertThat(cell(nodes.get(1))).containsExactly(4, 1, 0);
        assertThat(cell(nodes.get(2))).containsExactly(4, 2, 10);
        for (JsonNode n : nodes.subList(1, 3)) {
            assertThat(n.get("delta_auc_se").asDouble()).as("paired with the reference").isPositive();
            assertThat(n.get("delta_auc").asDouble()).isCloseTo(n.get("auc").asDouble() - ref.get("auc").asDouble(),
                    within(2e-5));
        }
        assertThat(nodes.get(2).get("dense_sync_bytes_per_event").asDouble()).isPositive();
        assertThat(r.err()).contains("[staleness] generated").contains("3 runs in");
    }

    private static List<Integer> cell(JsonNode n) {
        return List.of(n.get("window").asInt(), n.get("trainers").asInt(), n.get("sync_every").asInt());
    }

    @Test
    void helpSaysWhatTheDefaultRunsAndHowLong() {
        CliRun r = CliRun.of("bench", "staleness", "--help");
        assertThat(r.rc()).isZero();
        assertThat(r.out().replaceAll("\\s+", " ")).contains("Default selection").contains("3 x 11 = 33 runs")
                .contains("minutes").contains("--quick")
                .contains("--windows").contains("--dp-window");
    }

    @Test
    void badFlagsExitTwoNamingTheFlag() {
        CliRun w = CliRun.of("bench", "staleness", "--quick", "--windows", "0");
        assertThat(w.rc()).isEqualTo(2);
        assertThat(w.err()).contains("--windows").contains("got 0");
        CliRun s = CliRun.of("bench", "staleness", "--quick", "--sync", "1,-3");
        assertThat(s.rc()).isEqualTo(2);
        assertThat(s.err()).contains("--sync").contains("got -3");
        CliRun own = CliRun.of("bench", "staleness", "--quick", "--set", "inflight.policy.mode=all");
        assertThat(own.rc()).isEqualTo(2);
        assertThat(own.err()).contains("--set: inflight.policy.mode is chosen by the bench");
        CliRun lr = CliRun.of("bench", "staleness", "--quick", "--set", "inflight.model.learning.rate=-1");
        assertThat(lr.rc()).isEqualTo(2);
        assertThat(lr.err()).contains("--set").contains("inflight.model.learning.rate").contains("-1");
        CliRun st = CliRun.of("bench", "staleness", "--streams", "nope");
        assertThat(st.rc()).isEqualTo(2);
        assertThat(st.err()).contains("--streams").contains("nope");
    }
}
