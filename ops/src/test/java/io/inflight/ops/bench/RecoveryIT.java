package io.inflight.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.trainer.config.InflightConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The recovery check of {@code inflight bench recovery} as a test: SIGKILLed trainers lose and repeat nothing. */
@Timeout(600)
class RecoveryIT {

    @Test
    void shouldProduceTheSameModelWithTheDefaultSettingsWhenTheTrainerIsKilledThreeTimes() throws Exception {
        ItFixtures.onBroker("recovery", (dir, broker) -> {
            // no settings but the generator's fields (which the bench fills in): the default batch size and cadence
            RecoveryBench.Result r = new RecoveryBench(broker.bootstrapServers(), dir,
                    ItFixtures.quiet()).run(60_000, 3, 5);
            assertThat(r.killOffsets()).hasSize(3).allSatisfy(o -> assertThat(o).isBetween(1L, 59_999L));
            assertThat(r.events()).isBetween(60_000L - InflightConfig.DEFAULT_BATCH_SIZE + 1, 60_000L);
            assertThat(r.cleanEvents()).isEqualTo(r.events());
            assertThat(r.crashedEvents()).isEqualTo(r.events());
            assertThat(r.lost()).isZero();
            assertThat(r.appliedTwice()).isZero();
            assertThat(r.crashedHash()).isEqualTo(r.cleanHash());
            assertThat(r.publishedRows()).isPositive();
            assertThat(r.publicationMismatches()).isZero();
        });
    }

    @Test
    void shouldProduceTheSameMiniBatchModelWhenTheTrainerIsKilledThreeTimes() throws Exception {
        ItFixtures.onBroker("recovery-batch", (dir, broker) -> {
            // 100 events per batch: a kill lands inside a pending batch, which must be restored, not lost or redone.
            RecoveryBench.Result r = new RecoveryBench(broker.bootstrapServers(), dir,
                    ItFixtures.quiet()).run(60_000, 3, 6, Map.of(
                    InflightConfig.MODEL_TYPE, "fm",
                    InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7",
                    InflightConfig.BATCH_SIZE, "100",
                    InflightConfig.PUBLISH_EVERY, "3",
                    // checkpoints during each child's run: restarts load one and re-apply the journal after it
                    InflightConfig.CHECKPOINT_INTERVAL_MS, "1500"));
            assertThat(r.events()).isEqualTo(60_000);
            assertThat(r.cleanEvents()).isEqualTo(60_000);
            assertThat(r.crashedEvents()).isEqualTo(60_000);
            assertThat(r.crashedHash()).isEqualTo(r.cleanHash());
            // Publications survive the kills: the latest committed update of every row is its final value.
            assertThat(r.publishedRows()).isPositive();
            assertThat(r.publicationMismatches()).isZero();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"all", "esapn"})
    void shouldProduceTheSameModelWithEveryPolicyWhenTheTrainerIsKilledThreeTimes(String mode) throws Exception {
        ItFixtures.onBroker("recovery-" + mode, (dir, broker) -> {
            // Mode all: frequency admission (a sketch), the precision ladder and eviction under a budget
            // that binds before the end, shared hashed rows trained by every feature without a row or
            // chunk of its own, and growth paid for by eviction (grants open between passes); mode
            // esapn: growth (policy nets, per-feature slots) under the budget.
            RecoveryBench.Result r = new RecoveryBench(broker.bootstrapServers(), dir,
                    ItFixtures.quiet()).run(60_000, 3, 7, Map.ofEntries(
                    Map.entry(InflightConfig.MODEL_TYPE, "fm"),
                    Map.entry(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7"),
                    Map.entry(InflightConfig.MODEL_DIM, "8"),
                    Map.entry("inflight.store.chunks", "2,2,2,2"),
                    Map.entry(InflightConfig.BATCH_SIZE, "100"),
                    Map.entry("inflight.policy.mode", mode),
                    Map.entry("inflight.policy.admission.count", "2"),
                    Map.entry("inflight.policy.interval.steps", "20"),
                    Map.entry("inflight.policy.budget.bytes", "900000"),
                    Map.entry("inflight.policy.shared.fraction", "0.1"),
                    Map.entry(InflightConfig.CHECKPOINT_INTERVAL_MS, "1500")));
            assertThat(r.cleanEvents()).isEqualTo(60_000);
            assertThat(r.crashedEvents()).isEqualTo(60_000);
            assertThat(r.lost()).isZero();
            assertThat(r.appliedTwice()).isZero();
            assertThat(r.crashedHash()).isEqualTo(r.cleanHash());
            assertThat(r.publishedRows()).isPositive();
            // and so do the shared hashed rows and their gates
            assertThat(r.publishedSharedRows()).isPositive();
            assertThat(r.publicationMismatches()).isZero();
        });
    }
}
