package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.inflight.ops.bench.CompressionBench.Run;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The issue-18 goal lines computed from runs as {@code --replot} reads them back. */
class CompressionGoalsTest {

    private static final long REF = 1_000_000;

    /** A run as its JSON line gives it back: reference AUC 0.70, {@code REF} reference bytes. */
    private static Run run(String stream, String mode, int divisor, double delta, long finalBytes, long peakBytes,
                           double passShare, long interval) {
        long budget = divisor == 0 ? 0 : REF / divisor;
        return CompressionOutput.fromJson(String.format(Locale.ROOT, "{\"stream\":\"%s\",\"model\":\"deepfm\",\"mode\":\"%s\","
                        + "\"status\":\"ok\",\"budget_divisor\":%d,\"budget_bytes\":%d,\"peak_bytes\":%d,\"final_bytes\":%d,"
                        + "\"reference_bytes\":%d,\"auc\":%.5f,\"delta_auc\":%.5f,\"events\":1000,\"interval_steps\":%d,"
                        + "\"pass_share\":%.4f}", stream, mode, divisor, budget, peakBytes, finalBytes, REF, 0.70 + delta, delta,
                interval, passShare));
    }

    private static Run at(String stream, String mode, int divisor, double delta) {
        long budget = REF / divisor;
        return run(stream, mode, divisor, delta, budget * 95 / 100, budget, 0.01, 15);
    }

    @Test
    void theFiftyAndTwoHundredFoldGoalsSayWhichHoldAndByHowMuchTheOthersMiss() {
        List<Run> runs = List.of(run("g", "none", 0, 0, REF, REF, 0, 15),
                at("g", "all", 50, -0.0004), at("g", "all", 200, -0.0071), at("g", "adaembed", 50, -0.0100));
        String line = CompressionGoals.compressionGoal(runs);
        assertThat(line).contains("1 of 2").contains("g 1/50 -0.0004 at 52.6x (met)")
                .contains("g 1/200 -0.0071 at 210.5x (missed by 0.0021)").doesNotContain("adaembed");
        Run shortOfRatio = run("g", "all", 50, 0.0, REF / 40, REF / 50, 0.01, 15); // final bytes above the budget
        assertThat(CompressionGoals.compressionGoal(List.of(shortOfRatio))).contains("0 of 1").contains("below 50x");
    }

    @Test
    void aDeltaIsShownWithTheStandardErrorItsRunMeasured() {
        Run measured = CompressionOutput.fromJson(CompressionOutput.json(at("t", "all", 50, -0.0042)).replace(
                "\"delta_auc_se\":null", "\"delta_auc_se\":0.00310"));
        assertThat(measured.deltaAucSe()).isEqualTo(0.0031);
        assertThat(CompressionGoals.compressionGoal(List.of(measured)))
                .contains("t 1/50 -0.0042 ± 0.0031 at 52.6x (missed by 0.0032)");
        assertThat(CompressionGoals.delta(at("t", "all", 50, -0.0042))).isEqualTo("-0.0042");
    }

    @Test
    void allIsComparedWithTheBestSingleModeOfItsCellAndEveryModeWithHash() {
        List<Run> runs = new ArrayList<>(List.of(
                at("g", "hash", 50, -0.0200), at("g", "adaembed", 50, -0.0050), at("g", "esapn", 50, -0.0020),
                at("g", "all", 50, -0.0045),
                at("t", "hash", 50, -0.0010), at("t", "precision", 50, -0.0030), at("t", "all", 50, -0.0035)));
        String best = CompressionGoals.bestSingleGoal(runs, 5);
        assertThat(best).contains("1 of 2 cells").contains("g deepfm 1/50: esapn -0.0020, all -0.0045")
                .doesNotContain("t deepfm");
        String hash = CompressionGoals.hashGoal(runs, 1);
        assertThat(hash).contains("3 of 5 runs").contains("t deepfm 1/50 all -0.0035, hash -0.0010")
                .contains("1 more").doesNotContain("precision -0.0030");
    }

    @Test
    void runsAtSeveralSeedsAreCheckedAsTheMeanOfEachCellWithTheirSpread() {
        List<Run> runs = new ArrayList<>();
        double[] deltas = {-0.0004, -0.0020, -0.0030}; // mean -0.0018: misses 1/50 by 0.0008
        for (int i = 0; i < 3; i++) {
            String line = CompressionOutput.json(at("g", "all", 50, deltas[i]));
            runs.add(CompressionOutput.fromJson(line.replace("\"seed\":null", "\"seed\":" + (11 + i))));
        }
        assertThat(runs).extracting(Run::seed).containsExactly(11L, 12L, 13L);
        List<Run> mean = CompressionBench.meanOverSeeds(runs);
        assertThat(mean).hasSize(1);
        assertThat(mean.get(0).deltaAuc()).isCloseTo(-0.0018, offset(1e-9));
        List<String> lines = CompressionGoals.check(runs, 3);
        assertThat(lines.get(0)).contains("over 3 runs: 1 cells, each the mean of its runs at 3 seeds");
        // standard deviation of -0.0004, -0.0020, -0.0030: 0.0013115
        assertThat(lines.get(1)).contains("median 0.0013, largest 0.0013 (g deepfm all 1/50)");
        assertThat(lines.get(2)).contains("0 of 1").contains("g 1/50 -0.0018 at 52.6x (missed by 0.0008)");
        assertThat(CompressionBench.meanOverSeeds(runs.subList(0, 1))).isEqualTo(runs.subList(0, 1));
    }

    @Test
    void peakPassCostAndTheLosslessRatioAreReadFromTheRuns() {
        List<Run> runs = List.of(run("g", "none", 0, 0, REF, REF, 0, 15),
                run("g", "all", 10, 0.0005, REF / 11, REF / 10 * 103 / 100, 0.20, 15),
                run("g", "hash", 50, -0.0009, REF / 50, REF / 50, 0.90, 1),
                at("g", "esapn", 200, -0.0020));
        assertThat(CompressionGoals.peakGoal(runs)).contains("1 runs above").contains("1.030 (g deepfm all 1/10)");
        // 0.20 / 0.80 x 15 / 1000 = 0.375%; 0.90 / 0.10 x 1 / 1000 = 0.9%
        assertThat(CompressionGoals.defaultIntervalCost(runs.get(1))).isCloseTo(0.00375, offset(1e-9));
        assertThat(CompressionGoals.passGoal(runs)).contains("holds in every run").contains("0.9% (g deepfm hash 1/50)");
        assertThat(CompressionGoals.lossless(runs)).isEqualTo(
                "- largest compression at <= 0.001 AUC loss: g deepfm 50.0x (hash 1/50, -0.0009)");
        assertThat(CompressionGoals.check(runs, 3)).hasSize(7).first().asString().contains("4 runs");
    }
}
