package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.train.ProgressLine;
import io.inflight.policies.Precision;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.topology.TableStats;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts that fail validation: exit 2, one error line naming the key, option or file, and nothing
 * started or created (no broker data directory, no state directory, demo's work directory untouched).
 * Every case fails before a broker could start, in this JVM.
 */
@Timeout(60)
class StartValidationTest {

    @TempDir
    Path tmp;

    private record Result(int code, String err) {
        String errorLine() {
            return err.lines().filter(l -> l.startsWith("error:")).findFirst().orElse("");
        }
    }

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        int code = InflightCli.run(new PrintWriter(err, true), args);
        return new Result(code, err.toString());
    }

    /** train with the embedded broker's data and the state directory under tmp, two fields, plus {@code more}. */
    private Result train(String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data-dir", tmp.resolve("broker").toString(),
                "--set", "inflight.state.dir=" + tmp.resolve("state"), "--set", "inflight.model.fields=f0,f1"));
        args.addAll(List.of(more));
        return run(args.toArray(String[]::new));
    }

    private void assertNothingStarted() {
        assertThat(tmp.resolve("broker")).doesNotExist();
        assertThat(tmp.resolve("state")).doesNotExist();
    }

    /** The golden snapshot (FM, D = 4, fields a,b, chunks 2,2) copied to {@code name}, with byte {@code flip} flipped (-1: none). */
    private Path snapshot(String name, int flip) throws Exception {
        byte[] b;
        try (var in = StartValidationTest.class.getResourceAsStream("/snapshot/golden-v1.snap")) {
            b = in.readAllBytes();
        }
        if (flip >= 0) {
            b[flip] ^= 1;
        }
        return Files.write(tmp.resolve(name), b);
    }

    @Test
    void shouldRefuseASnapshotOfAnotherShapeOrDamagedBeforeStartingABroker() throws Exception {
        Path good = snapshot("model.snap", -1);
        Result r = train("--from-snapshot", good.toString(), "--set", "inflight.model.type=fm", "--set", "inflight.model.dim=8");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).as(r.err()).contains("inflight.model.dim").contains("8").contains("= 4")
                .contains(good.toString());
        assertNothingStarted();

        Path bad = snapshot("bad.snap", 200);
        r = train("--from-snapshot", bad.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).as(r.err()).contains(bad.toString()).contains("is corrupted");
        assertNothingStarted();

        r = run("serve", "-b", "127.0.0.1:1", "--snapshot", bad.toString(), "--set", "inflight.model.fields=a,b");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).as(r.err()).contains(bad.toString()).contains("is corrupted");
    }

    @Test
    void shouldRefuseNonFiniteSettingsBeforeStartingABroker() {
        for (String kv : new String[] {"inflight.model.init.stddev=NaN", "inflight.model.dense.learning.rate=NaN",
                "inflight.model.learning.rate=Infinity", "inflight.policy.gamma=-Infinity"}) {
            Result r = train("--set", kv);
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            String key = kv.substring(0, kv.indexOf('='));
            assertThat(r.errorLine()).as(r.err()).contains(key).contains(kv.substring(kv.indexOf('=') + 1));
            assertThat(r.err()).doesNotContain("\tat ");
            assertNothingStarted();
        }
    }

    @Test
    void shouldRefuseToTrainWithoutTheModelsFields() {
        Result r = run("train", "--data-dir", tmp.resolve("broker").toString(), "--set",
                "inflight.state.dir=" + tmp.resolve("state"));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).as(r.err()).contains("inflight.model.fields").contains("f0,f1,");
        assertThat(r.err()).doesNotContain("\tat ");
        assertNothingStarted();
    }

    @Test
    void shouldRefuseAnUnknownTopologyNamingKeyAndValue() {
        Result r = train("--set", "inflight.topology.models=per-instance");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).as(r.err()).contains("inflight.topology.models").contains("per-instance");
        assertNothingStarted();
    }

    @Test
    void shouldRefuseABudgetBelowOneEventsRows() {
        Result r = train("--set", "inflight.model.fields=a,b", "--set", "inflight.policy.mode=adaembed",
                "--set", "inflight.policy.budget.bytes=50");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).contains("inflight.policy.budget.bytes").contains("50").contains("smaller than one row");
        assertNothingStarted();
    }

    @Test
    void shouldRefuseNegativePorts() {
        Result metrics = train("--metrics-port", "-1");
        assertThat(metrics.code()).as(metrics.err()).isEqualTo(2);
        assertThat(metrics.errorLine()).contains("--metrics-port").contains("-1");
        assertNothingStarted();
        Result brokerPort = train("--broker-port", "-3");
        assertThat(brokerPort.code()).as(brokerPort.err()).isEqualTo(2);
        assertThat(brokerPort.errorLine()).contains("--broker-port").contains("-3");
        assertNothingStarted();
        Result broker = run("broker", "--port", "-5", "--data-dir", tmp.resolve("broker").toString());
        assertThat(broker.code()).as(broker.err()).isEqualTo(2);
        assertThat(broker.errorLine()).contains("--port").contains("-5");
        Result controller = run("broker", "--controller-port", "70000", "--data-dir", tmp.resolve("broker").toString());
        assertThat(controller.code()).isEqualTo(2);
        assertThat(controller.errorLine()).contains("--controller-port").contains("70000");
        assertNothingStarted();
    }

    @Test
    void shouldRefuseAConfigFileThatIsADirectoryBinaryOrHasABadEscape() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("conf.d"));
        Result r = train("--config", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errorLine()).contains("--config").contains(dir.toString()).contains("is a directory");

        Path binary = tmp.resolve("trainer.bin");
        Files.write(binary, new byte[] {'a', '=', '1', '\n', (byte) 0xC3, 0x28, 0, 1, 2});
        r = train("--config", binary.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errorLine()).contains(binary.toString()).contains("binary").contains("line 2");

        Path latin1 = tmp.resolve("latin1.properties");
        Files.write(latin1, "inflight.topic.prefix=caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        r = train("--config", latin1.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errorLine()).contains(latin1.toString()).contains("not UTF-8").contains("line 1");

        Path escape = tmp.resolve("escape.properties");
        Files.writeString(escape, "# a comment\ninflight.model.dim=8\ninflight.topic.prefix=shop\\u12\n");
        r = train("--config", escape.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errorLine()).contains(escape.toString()).contains("line 3").contains("\\uxxxx");
        assertThat(r.err().lines().filter(l -> l.startsWith("error:")).count()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("\tat ");

        r = train("--config", tmp.resolve("missing.properties").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errorLine()).contains("file not found").contains("missing.properties");
        assertNothingStarted();
    }

    @Test
    void shouldRefuseAStateOrDataDirectoryThatCannotBeWritten() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        Result state = run("train", "--set", "inflight.model.fields=f0", "--data-dir", tmp.resolve("broker").toString(),
                "--set", "inflight.state.dir=" + file.resolve("state"));
        assertThat(state.code()).as(state.err()).isEqualTo(2);
        assertThat(state.errorLine()).contains("inflight.state.dir").contains(file.toString());
        assertThat(tmp.resolve("broker")).doesNotExist();

        Result data = run("train", "--set", "inflight.model.fields=f0", "--data-dir", file.resolve("broker").toString(),
                "--set", "inflight.state.dir=" + tmp.resolve("state"));
        assertThat(data.code()).as(data.err()).isEqualTo(2);
        assertThat(data.errorLine()).contains("--data-dir").contains(file.toString());
        assertThat(data.err()).doesNotContain("\tat ");
        assertNothingStarted();

        // a read-only mount (what a chmod cannot show when the tests run as root); skipped where /proc is absent
        if (Files.isDirectory(Path.of("/proc/self"))) {
            Result proc = run("train", "--set", "inflight.model.fields=f0", "--data-dir", tmp.resolve("broker").toString(), "--set", "inflight.state.dir=/proc/inflight");
            assertThat(proc.code()).as(proc.err()).isEqualTo(2);
            assertThat(proc.errorLine()).contains("inflight.state.dir").contains("/proc").contains("read-only");
            assertNothingStarted();
        }

        Result replay = run("replay", "--from-topic", "old.clicks", "--data-dir", file.toString());
        assertThat(replay.code()).isEqualTo(2);
        assertThat(replay.errorLine()).contains("--data-dir").contains("is not a directory");
    }

    @Test
    void shouldLeaveDemosWorkDirectoryAloneOnABadStart() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("demo"));
        Path marker = Files.writeString(work.resolve("keep-me"), "x");
        Result r = run("demo", "--work-dir", work.toString(), "--set", "inflight.model.l2=NaN");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).contains("inflight.model.l2").contains("NaN");
        assertThat(marker).exists();
        assertThat(work.resolve("broker")).doesNotExist();
    }

    @Test
    void shouldRefuseBadReplaySettingsBeforeStartingABroker() throws Exception {
        Path log = Files.writeString(tmp.resolve("x.tsv"), "1\t2\n");
        Result r = run("replay", "--format", "criteo", log.toString(), "--data-dir", tmp.resolve("broker").toString(),
                "--set", "inflight.limits.max.features=NaN");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).contains("inflight.limits.max.features").contains("NaN");
        r = run("replay", "--format", "criteo", log.toString(), "--data-dir", tmp.resolve("broker").toString(),
                "--progress-interval", "NaN");
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.errorLine()).contains("--progress-interval").contains("NaN");
        assertThat(tmp.resolve("broker")).doesNotExist();
    }

    @Test
    void shouldPrintTheModelHashInTrainsSummary() {
        ProgressiveMetrics m = new ProgressiveMetrics(64);
        m.record(0.7, 1);
        m.record(-0.2, 0);
        String s = TrainCommand.summary(Optional.of(m.summary()), 3, false, 32, Optional.empty(), 0, "ab12", 12.34);
        assertThat(s.lines().toList()).containsExactly("=== Inflight train summary ===",
                "  " + ProgressLine.summary(m.summary()),
                "  scored 2 events (each before learning from it); 3 accepted events wait for a whole batch of 32 and were "
                        + "not scored (--until-caught-up or --max-events train a last partial batch)",
                "  table: not readable (the trainer's tasks did not answer)",
                "  trained for 12.3 s", "  model hash (rows, optimizer state, dense): ab12");
        assertThat(TrainCommand.summary(Optional.of(m.summary()), 0, true, 32, Optional.empty(), 0, "ab12", 1))
                .contains("  scored 2 events (each before learning from it); none waits for a batch");
        assertThat(TrainCommand.summary(Optional.of(m.summary()), 5, true, 32, Optional.empty(), 0, "ab12", 1))
                .contains("; 5 events read past the stop offsets are held, not trained, for the next run");
        assertThat(TrainCommand.summary(Optional.empty(), -1, false, 32, Optional.empty(), 0, "unavailable", 1)).contains("no metrics")
                .contains("model hash (rows, optimizer state, dense): unavailable");
    }

    @Test
    void shouldPrintTheTablesBytesAgainstTheBudgetAndItsRowsInTrainsSummary() {
        ProgressiveMetrics m = new ProgressiveMetrics(64);
        m.record(0.7, 1);
        long[] byChunks = {0, 1_000, 0, 0, 234};
        long[] byPrecision = new long[Precision.values().length];
        byPrecision[Precision.FP32.ordinal()] = 1_234;
        TableStats t = new TableStats(1_234, 1_500_000, 272, byChunks, byPrecision, 0, 7, 2_000, 766, 234, 0,
                new long[byChunks.length]);

        List<String> budget = TrainCommand.summary(Optional.of(m.summary()), 0, true, 32, Optional.of(t), 2_000_000,
                "ab12", 1).lines().toList();
        assertThat(budget).containsSequence("  table 1.50 MB (budget 2.00 MB)",
                "  rows 1,234, by chunks 4/4: 234 1/4: 1,000, by precision fp32: 1,234 | admitted 2,000 evicted 766 grown 234",
                "  trained for 1.0 s");
        String none = TrainCommand.summary(Optional.of(m.summary()), 0, true, 32, Optional.of(t), 0, "ab12", 1);
        assertThat(none.lines().toList()).contains("  table 1.50 MB");
        assertThat(none).doesNotContain("budget").contains("  rows 1,234, by chunks");
        // the progress line's second line says the same
        assertThat(TableLine.line(t, 2_000_000)).isEqualTo("table 1.50 MB (budget 2.00 MB) | rows 1,234, by chunks 4/4: 234 "
                + "1/4: 1,000, by precision fp32: 1,234 | admitted 2,000 evicted 766 grown 234");
    }
}
