package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench baselines --log}: a log read as replay reads it, with the store and policy settings of
 * {@code --set}; bad options exit 2 naming them.
 */
class BenchBaselinesCommandTest {

    @TempDir
    Path dir;

    private Path tinyCsv() throws Exception {
        return CliRun.tinyCsv(dir);
    }

    @Test
    void aLogIsReadAsReplayReadsItAndReportedWithTheSettingsOfSet() throws Exception {
        Path csv = tinyCsv();
        CliRun r = CliRun.of("bench", "baselines", "--data", dir.resolve("absent").toString(), "--log", csv.toString(),
                "--format", "csv", "--map", "label=click", "--map", "categorical=a,b,c", "--models", "lr,fm",
                "--dim", "4", "--hidden", "8", "--set", "inflight.store.precision=int8",
                "--set", "inflight.policy.mode=adaembed", "--json");
        assertThat(r.rc()).as(r.all()).isEqualTo(0);
        assertThat(r.out()).startsWith("{\"bench\":\"baselines\"")
                .contains("\"set\":{\"inflight.store.precision\":\"int8\",\"inflight.policy.mode\":\"adaembed\"}")
                .containsPattern("\\{\"data\":\"log:tiny.csv\",\"model\":\"lr\",\"fields\":3,\"numeric\":0,"
                        + "\"events\":1500,\"auc\":0\\.\\d+")
                .contains("{\"data\":\"log:tiny.csv\",\"model\":\"fm\"");
        assertThat(r.err()).contains("log:tiny.csv: 1,500 events from 1 csv file(s)");
    }

    @Test
    void badOptionsExitTwoNamingThem() throws Exception {
        Path csv = tinyCsv();
        CliRun[] cases = {
            CliRun.of("bench", "baselines", "--log", dir.resolve("absent.csv").toString(), "--format", "csv"),
            CliRun.of("bench", "baselines", "--log", csv.toString(), "--format", "parquet"),
            CliRun.of("bench", "baselines", "--log", csv.toString(), "--format", "csv", "--map", "label=click",
                    "--set", "inflight.store.nope=1"),
            CliRun.of("bench", "baselines", "--log", csv.toString(), "--format", "csv", "--map", "label=click",
                    "--set", "inflight.store.precision=int9"),
            CliRun.of("bench", "baselines", "--log", csv.toString(), "--format", "csv", "--map", "label=click",
                    "--set", "inflight.policy.mode=nope"),
            CliRun.of("bench", "baselines", "--log", csv.toString(), "--format", "csv", "--map", "label=click",
                    "--set", "inflight.model.dim=8"),
            CliRun.of("bench", "baselines", "--datasets", "frappe"),
        };
        String[] named = {"--log: log file not found", "--format: ", "--set: Unknown configuration key 'inflight.store.nope'",
            "--set: Invalid value int9 for configuration inflight.store.precision", "inflight.policy.mode",
            "--set: inflight.model.dim is chosen by the bench", "--datasets: unknown log frappe"};
        for (int i = 0; i < cases.length; i++) {
            assertThat(cases[i].rc()).as(named[i] + ": " + cases[i].all()).isEqualTo(2);
            assertThat(cases[i].err()).as(named[i]).contains(named[i]);
        }
    }
}
