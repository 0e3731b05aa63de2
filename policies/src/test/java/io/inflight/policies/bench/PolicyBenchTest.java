package io.inflight.policies.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.bench.PolicyBench.Options;
import io.inflight.policies.bench.PolicyBench.Result;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyBenchTest {

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
