package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.serve.ServeEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** bench serve, small: every case runs, every request is answered, the JSON has the goals. */
@Timeout(120)
class ServeBenchTest {

    @Test
    void shouldAnswerEveryRequestWithAndWithoutTheSlowClient() throws Exception {
        ServeBench.Result r = ServeBench.run(new ServeBench.Options(List.of(1, 8), 0.5, 0, "fm", 3, 50, 4,
                ServeEndpoint.Options.defaults("127.0.0.1", 0)), ItFixtures.quiet());
        assertThat(r.rows()).hasSize(4);
        assertThat(r.errors()).isZero();
        assertThat(r.rows()).allSatisfy(row -> assertThat(row.requests()).isPositive());
        assertThat(r.rows().stream().filter(ServeBench.Row::slowClient)).allSatisfy(row ->
                assertThat(row.slowBytesSent()).isPositive());
        assertThat(r.allAnsweredAtMostClients()).isTrue();
        assertThat(r.json()).startsWith("{\"bench\":\"serve\"").contains("\"slow_client_p99_within_2x\":")
                .contains("\"all_answered_at_8\":true");
        assertThat(r.table()).contains("p99 with / without the slow client at 8 clients");
    }
}
