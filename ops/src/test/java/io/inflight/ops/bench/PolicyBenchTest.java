package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.bench.PolicyBench.Options;
import io.inflight.ops.bench.PolicyBench.Result;
import io.inflight.policies.PolicyMode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyBenchTest {

    /** A drifting Zipf stream: 30k events x 8 fields, the hot set shifts every 6k events. */
    private static Options stream() {
        return new Options(30_000, 8, 4_000, 1.1, 16, 4, 64, 20, 0.95f, 1024, 6_000, 400, 16, 3,
                List.of(), List.of());
    }

    @ParameterizedTest
    @EnumSource(value = PolicyMode.class, names = {"NONE", "HASH"}, mode = EnumSource.Mode.EXCLUDE)
    void shouldNeverExceedTheBudgetBeyondOnePeriodsNewRows(PolicyMode mode) {
        long uncompressed = PolicyBench.runOne(stream(), PolicyMode.NONE, 0, 0, 0, null).finalBytes();
        long budget = uncompressed / 10;
        long[] checked = new long[1];
        Result r = PolicyBench.runOne(stream(), mode, 10, budget, uncompressed,
                (step, table, runner, admitted, newRowBytes) -> {
                    // The stated slack: target + rows created since the last pass x bytes of a new row.
                    assertThat(table.storedBytes()).as("step %d", step)
                            .isLessThanOrEqualTo(runner.budget().targetBytes() + admitted * newRowBytes);
                    checked[0]++;
                });
        assertThat(checked[0]).isGreaterThan(400);
        assertThat(r.finalBytes()).isLessThanOrEqualTo(budget);
        assertThat(r.passes()).isGreaterThan(20);
        assertThat(r.chunksPruned() + r.rowsEvicted() + r.demotions()).as("the budget forced action").isPositive();
    }

    @Test
    void shouldRunEveryModeAtAReducedSizeAndFormatTheResults() {
        Options small = Options.small();
        Options o = new Options(20_000, 6, 3_000, 1.1, 16, 4, 64, 25, 0.96f, 1024, 5_000, 300, 16, 7,
                small.modes(), List.of(10));
        List<Result> results = PolicyBench.run(o);
        assertThat(results).hasSize(1 + o.modes().size());
        Result none = results.get(0);
        assertThat(none.mode()).isEqualTo(PolicyMode.NONE);
        assertThat(none.finalBytes()).isEqualTo(none.peakBytes()).isPositive();
        for (Result r : results.subList(1, results.size())) {
            assertThat(r.budgetBytes()).isEqualTo(none.finalBytes() / 10);
            assertThat(r.finalBytes()).as(r.mode().configName()).isLessThanOrEqualTo(r.budgetBytes());
            assertThat(r.slackViolations()).isZero();
            switch (r.mode()) {
                case ADAEMBED -> assertThat(r.rowsEvicted()).isPositive();
                case FIITED_MANUAL, FIITED_ADAPTIVE, FIITED_2D -> assertThat(r.chunksPruned()).isPositive();
                case ESAPN -> assertThat(r.rowsGrown()).isPositive();
                case PRECISION -> assertThat(r.demotions()).isPositive();
                case ALL -> assertThat(r.chunksPruned() + r.rowsEvicted()).isPositive();
                default -> { }
            }
            assertThat(r.toJson()).startsWith("{\"bench\":\"policies\",\"mode\":\"" + r.mode().configName() + "\"")
                    .endsWith("}").doesNotContain("\n");
        }
        String table = PolicyBench.table(results);
        assertThat(table.lines()).hasSize(results.size() + 1);
        assertThat(table).contains("fiited-adaptive").contains("1/10");
    }
}
