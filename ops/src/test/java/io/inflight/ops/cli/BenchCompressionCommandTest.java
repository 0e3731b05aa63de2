package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench compression --quick} runs in-process on the generated stream (no data needed), so the
 * bench cannot rot: the reference row, the runs with a finite AUC, a PNG; bad flags exit 2.
 */
class BenchCompressionCommandTest {

    @TempDir
    Path dir;

    /** Runs the command line; returns {exit code, stdout, stderr}. */
    private static Object[] run(String... args) {
        CliRun r = CliRun.of(args);
        return new Object[] {r.rc(), r.out(), r.err()};
    }

    @Test
    void quickRunHasTheReferenceFiniteRunsAndAPng() throws Exception {
        Path png = dir.resolve("c.png");
        Object[] r = run("bench", "compression", "--quick", "--json", "--png", png.toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        List<String> lines = Arrays.stream(((String) r[1]).split("\n")).filter(l -> l.startsWith("{")).toList();
        assertThat(lines).anyMatch(l -> l.contains("\"mode\":\"none\"") && l.contains("\"status\":\"ok\"")
                && l.contains("\"compression\":1.0000") && l.contains("\"delta_auc\":0.00000")
                && l.contains("\"delta_auc_se\":null"));
        for (String mode : List.of("adaembed", "fiited-adaptive")) {
            for (int d : List.of(4, 10)) {
                assertThat(lines).as(mode + " 1/" + d).anyMatch(l -> l.contains("\"mode\":\"" + mode + "\"")
                        && l.contains("\"budget_divisor\":" + d + ",") && l.contains("\"status\":\"ok\"")
                        && l.matches(".*\"auc\":0\\.\\d+.*") && l.matches(".*\"final_bytes\":[1-9]\\d*.*")
                        && l.matches(".*\"delta_auc_se\":0\\.0*[1-9]\\d*[,}].*")); // paired with the reference
            }
        }
        assertThat(lines).hasSize(5);
        assertThat((String) r[2]).contains("a policy pass every").contains("Goals (issue 18) over 5 runs:")
                .contains("- all >= best single mode - 0.001: no cell with mode all");
        assertThat(png).exists();
        byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
        assertThat(head).containsExactly(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
    }

    /** At the default window (32 batches in flight): a shard evicts rows in flight when it must, so the budget holds. */
    @Test
    void shardsRunThePolicyRunsThroughRowShardsUnderTheBudgetAndSkipTheModesTheyDoNotRun() throws Exception {
        Object[] r = run("bench", "compression", "--quick", "--json", "--modes", "adaembed,precision,all", "--budgets", "10",
                "--shards", "2", "--png", dir.resolve("sh.png").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> runs = new ArrayList<>();
        for (String l : ((String) r[1]).split("\n")) {
            if (l.startsWith("{")) {
                runs.add(json.readTree(l));
            }
        }
        assertThat(runs).extracting(n -> n.get("mode").asText()).containsExactly("none", "adaembed", "precision", "all");
        JsonNode ref = runs.get(0);
        assertThat(ref.get("status").asText()).isEqualTo("ok");
        assertThat(ref.get("shards").asInt()).as("the reference is one table").isZero();
        assertThat(ref.get("shard_window").isNull()).isTrue();
        assertThat(ref.get("shard_peak_share").isNull()).isTrue();
        for (JsonNode n : runs.subList(1, 3)) {
            String mode = n.get("mode").asText();
            assertThat(n.get("status").asText()).as(mode).isEqualTo("ok");
            assertThat(n.get("shards").asInt()).as(mode).isEqualTo(2);
            assertThat(n.get("shard_window").asInt()).as(mode).isEqualTo(32);
            assertThat(n.get("budget_divisor").asInt()).isEqualTo(10);
            double auc = n.get("auc").asDouble();
            assertThat(Double.isFinite(auc) && auc > 0.5).as("%s AUC %s", mode, auc).isTrue();
            assertThat(n.get("peak_over_budget").asDouble()).as(mode).isPositive().isLessThanOrEqualTo(1.0);
            assertThat(n.get("shard_peak_share").asDouble()).as(mode).isPositive().isLessThanOrEqualTo(1.0);
            assertThat(n.get("peak_bytes").asLong()).isLessThanOrEqualTo(n.get("budget_bytes").asLong());
            assertThat(n.get("passes").asLong()).as(mode).isPositive();
            assertThat(n.get("delta_auc_se").asDouble()).as("paired with the reference").isPositive();
        }
        JsonNode all = runs.get(3);
        assertThat(all.get("status").asText()).startsWith("skipped: row shards do not run policy mode all");
        assertThat(all.get("shards").asInt()).isEqualTo(2);
        assertThat((String) r[2]).contains("through 2 row shards, window 32").contains("Goals (issue 18) over 3 runs:");
    }

    @Test
    void aModeThisBuildDoesNotKnowIsUnavailableNotAFailure() {
        Object[] r = run("bench", "compression", "--quick", "--json", "-n", "3000", "--modes", "hash", "--budgets", "10",
                "--png", dir.resolve("h.png").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("\"mode\":\"hash\"").containsAnyOf("\"status\":\"ok\"",
                "\"status\":\"unavailable\"").doesNotContain("failed");
    }

    @Test
    void seedsRunTheSelectionOncePerSeedAndTheGoalsReadTheMeans() {
        Object[] r = run("bench", "compression", "-n", "3000", "--streams", "generated", "--models", "fm", "--modes", "hash",
                "--budgets", "4", "--seeds", "5,6", "--json", "--png", dir.resolve("s.png").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        List<String> lines = Arrays.stream(((String) r[1]).split("\n")).filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(4);
        List<String> refs = lines.stream().filter(l -> l.contains("\"mode\":\"none\"")).toList();
        assertThat(refs).hasSize(2);
        assertThat(refs.get(0)).contains("\"seed\":5}");
        assertThat(refs.get(1)).contains("\"seed\":6}");
        String auc0 = refs.get(0).replaceAll(".*\"auc\":([^,]+),.*", "$1");
        String auc1 = refs.get(1).replaceAll(".*\"auc\":([^,]+),.*", "$1");
        assertThat(auc0).as("another seed trains another model").isNotEqualTo(auc1);
        assertThat((String) r[2]).contains("over 4 runs: 2 cells, each the mean of its runs at 2 seeds")
                .contains("seed spread of dAUC").contains("generated: seed 6");
    }

    @Test
    void aLogIsReadAsReplayReadsIt() throws Exception {
        Path csv = CliRun.tinyCsv(dir);
        Object[] r = run("bench", "compression", "--log", csv.toString(), "--format", "csv", "--map", "label=click",
                "--map", "categorical=a,b,c", "--models", "fm", "--modes", "adaembed", "--budgets", "4", "--json",
                "--png", dir.resolve("l.png").toString());
        assertThat(r[0]).as("stderr: %s", r[2]).isEqualTo(0);
        assertThat((String) r[1]).contains("{\"stream\":\"log:tiny.csv\",\"model\":\"fm\",\"mode\":\"none\",\"status\":\"ok\"")
                .contains("\"mode\":\"adaembed\",\"status\":\"ok\",\"budget_divisor\":4,");
        assertThat((String) r[2]).contains("1,500 events from 1 csv file(s)");
    }

    @Test
    void badFlagsExitTwoNamingTheFlagAndValue() {
        Object[][] cases = {
            run("bench", "compression", "--quick", "--modes", "nope"),
            run("bench", "compression", "--quick", "--streams", "frappe"),
            run("bench", "compression", "--quick", "--budgets", "1"),
            run("bench", "compression", "--quick", "--models", "xgboost"),
            run("bench", "compression", "--quick", "--set", "inflight.policy.mode=all"),
            run("bench", "compression", "--log", dir.resolve("absent.csv").toString(), "--format", "csv"),
            run("bench", "compression", "--quick", "--seeds", "3,3"),
            run("bench", "compression", "--quick", "--seeds", "3", "--set", "inflight.seed=4"),
            run("bench", "compression", "--quick", "--shards", "-1"),
            run("bench", "compression", "--quick", "--shards", "1025"),
            run("bench", "compression", "--quick", "--shard-window", "0"),
            run("bench", "compression", "--quick", "--shards", "2", "--shard-window", "257"),
            run("bench", "compression", "--quick", "--shards", "two"),
            run("bench", "compression", "--quick", "--set", "inflight.topology.shards=2"),
        };
        String[] named = {"--modes: unknown mode 'nope'", "--streams: unknown stream 'frappe'",
            "--budgets: a divisor must be > 1, got 1", "--models: unknown model 'xgboost'", "--set: inflight.policy.mode",
            "--log: log file not found", "--seeds: give distinct seeds, got [3, 3]", "--set: inflight.seed is chosen by --seeds",
            "--shards must be in [0, 1024], got -1", "--shards must be in [0, 1024], got 1025",
            "--shard-window must be in [1, 256], got 0", "--shard-window must be in [1, 256], got 257", "'two'",
            "--set: inflight.topology.shards is chosen by the bench (use --shards, --shard-window)"};
        for (int i = 0; i < cases.length; i++) {
            assertThat(cases[i][0]).as(named[i]).isEqualTo(2);
            assertThat((String) cases[i][2]).contains(named[i]);
        }
    }
}
