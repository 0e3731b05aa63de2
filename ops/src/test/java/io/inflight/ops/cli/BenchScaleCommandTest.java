package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.ops.bench.ScaleBench;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code bench scale} without running it (it starts child JVMs and takes minutes; FailoverIT runs its
 * machinery): the help says what it runs and how long, the options are checked naming the flag, and
 * the JSON line has the figures issue 16 asks for.
 */
class BenchScaleCommandTest {

    private static BenchScaleCommand parse(String... args) {
        BenchScaleCommand c = new BenchScaleCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void helpSaysWhatItRunsAndHowLong() {
        CliRun r = CliRun.of("bench", "scale", "--help");
        assertThat(r.rc()).isZero();
        assertThat(r.out()).contains("SIGKILL").contains("1-partition").contains("per-partition").contains("standby")
                .contains("about 5 minutes").contains("row shards").contains("--quick").contains("--json");
    }

    @Test
    void defaultsQuickAndRounding() {
        ScaleBench.Options d = parse().options();
        assertThat(d.events()).isEqualTo(100_000);
        assertThat(d.model()).isEqualTo("deepfm");
        assertThat(d.batch()).isEqualTo(256);
        assertThat(d.instances()).containsExactly(1, 2, 3);
        assertThat(d.roundedEvents()).isEqualTo(99_328); // 97 x (4 x 256): whole batches in every partition
        ScaleBench.Options q = parse("--quick").options();
        assertThat(q.events()).isEqualTo(8_000);
        assertThat(q.model()).isEqualTo("fm");
        assertThat(q.roundedEvents()).isEqualTo(8_000);
        ScaleBench.Options o = parse("--quick", "-n", "1234", "--model", "lr", "--instances", "2,3", "--set",
                "streams.session.timeout.ms=10000").options();
        assertThat(o.roundedEvents()).isEqualTo(1_200);
        assertThat(o.instances()).containsExactly(2, 3);
        assertThat(o.extra()).containsEntry("streams.session.timeout.ms", "10000");
    }

    @Test
    void badFlagsExitTwoNamingTheFlag() {
        String[][] cases = {
            {"--model", "xgboost"},
            {"--batch", "0"},
            {"-n", "100"},
            {"--instances", "0"},
            {"--set", "inflight.model.type=fm"},
            {"--set", "streams.num.standby.replicas=2"},
            {"--set", "inflight.nope=1"},
        };
        String[] named = {"--model: unknown model 'xgboost'", "--batch must be in [1, 65536], got 0",
            "--events must be in [1024", "--instances: each count must be in [1, 8], got [0]",
            "--set: inflight.model.type is chosen by the bench", "--set: streams.num.standby.replicas", "inflight.nope"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 2];
            args[0] = "bench";
            args[1] = "scale";
            System.arraycopy(cases[i], 0, args, 2, cases[i].length);
            CliRun r = CliRun.of(args);
            assertThat(r.rc()).as(named[i]).isEqualTo(2);
            assertThat(r.err()).as(named[i]).contains(named[i]);
        }
    }

    @Test
    void jsonIsOneLineWithTheFiguresOfTheIssue() throws Exception {
        List<ScaleBench.Run> runs = List.of(
                run("single-partition", 1, 1, 0.75),
                run("separate-replicas", 4, 1, 0.72),
                run("one-model-1", 4, 1, 0.749),
                run("one-model-2", 4, 2, 0.748),
                run("row-shards-1", 4, 1, 0.747));
        var r = new ScaleBench.Result(8_000, "fm", 50, runs, new ScaleBench.Failover(0, 45.5, 46.5, 0, 0, "[c-1]"),
                new ScaleBench.Failover(1, 44.0, 45.25, 0, 0, "[c-2]"), 123, 8);
        String line = r.json();
        assertThat(line).doesNotContain("\n");
        JsonNode j = new ObjectMapper().readTree(line);
        assertThat(j.get("single_partition_auc").asDouble()).isEqualTo(0.75);
        assertThat(j.get("one_model_auc").asDouble()).isEqualTo(0.749);
        assertThat(j.get("separate_replicas_auc").asDouble()).isEqualTo(0.72);
        assertThat(j.get("failover_resume_seconds").asDouble()).isEqualTo(46.5);
        assertThat(j.get("failover_resume_seconds_standby").asDouble()).isEqualTo(45.25);
        assertThat(j.get("failover_rebalanced_seconds_standby").asDouble()).isEqualTo(44.0);
        assertThat(j.get("failover_lost").asLong()).isZero();
        assertThat(j.get("instance_cpu_ms_per_event").get("2").get(0).asDouble()).isEqualTo(0.1); // 800 ms / 8,000 events
        assertThat(j.get("events_per_s_by_instances").get("2").asDouble()).isEqualTo(2000);
        assertThat(j.get("bytes_per_event").get("1").asDouble()).isEqualTo(400);
        assertThat(j.get("cpu_ms_per_event").get("2").asDouble()).isEqualTo(0.5);
        assertThat(j.get("events_per_s_by_instances").size()).isEqualTo(2); // the one-model runs only
        assertThat(j.get("row_shards_auc").asDouble()).isEqualTo(0.747);
        assertThat(j.get("row_shards_events_per_s_by_instances").size()).isEqualTo(1);
        assertThat(j.get("row_shards").asInt()).isEqualTo(3);

        // without failovers (--no-failover) or one-model runs the figures it cannot have are null, not made up
        var partial = new ScaleBench.Result(8_000, "fm", 50, runs.subList(0, 2), null, null, 60, 8);
        JsonNode p = new ObjectMapper().readTree(partial.json());
        assertThat(p.get("one_model_auc").isNull()).isTrue();
        assertThat(p.get("row_shards_auc").isNull()).isTrue();
        assertThat(p.get("failover_resume_seconds").isNull()).isTrue();
        assertThat(p.get("failover_resume_seconds_standby").isNull()).isTrue();
        assertThat(p.get("single_partition_auc").asDouble()).isEqualTo(0.75);
        assertThat(partial.table()).contains("single-partition").contains("separate-replicas").doesNotContain("failover,");
    }

    private static ScaleBench.Run run(String name, int partitions, int instances, double auc) {
        return new ScaleBench.Run(name, partitions, partitions == 1 ? "direct" : "one", instances, 8_000, auc,
                1000.0 * instances, 400, 160, 0.25 * instances, List.of(800.0), 0.1);
    }
}
