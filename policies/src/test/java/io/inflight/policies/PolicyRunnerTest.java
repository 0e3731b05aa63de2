package io.inflight.policies;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.bench.PolicyBench;
import io.inflight.policies.bench.PolicyBench.Options;
import io.inflight.policies.sim.SimTable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PolicyRunnerTest {

    /** A drifting Zipf stream: 30k events x 8 fields, the hot set shifts every 6k events. */
    private static Options stream() {
        return new Options(30_000, 8, 4_000, 1.1, 16, 4, 64, 20, 0.95f, 1024, 6_000, 400, 16, 3,
                List.of(), List.of());
    }

    @ParameterizedTest
    @EnumSource(value = PolicyMode.class, names = {"NONE"}, mode = EnumSource.Mode.EXCLUDE)
    void shouldNeverExceedTheBudgetBeyondOnePeriodsNewRows(PolicyMode mode) {
        long uncompressed = PolicyBench.runOne(stream(), PolicyMode.NONE, 0, 0, 0, null).finalBytes();
        long budget = uncompressed / 10;
        long[] checked = new long[1];
        PolicyBench.Result r = PolicyBench.runOne(stream(), mode, 10, budget, uncompressed,
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
    void shouldReportWhatEachPassDidAndKeepByteAccountingExact() {
        PolicySettings s = PolicySettings.defaults()
                .with(PolicySettings.MODE, "all")
                .with(PolicySettings.BUDGET_BYTES, "20000")
                .with(PolicySettings.ADMISSION_COUNT, "1");
        int[] widths = {4, 4, 4, 4};
        SimTable t = new SimTable(widths, s.utilityRule(), 1);
        PolicyRunner runner = new PolicyRunner(s, widths, 1);
        t.setAllocationPrecision(runner.initialPrecision());
        assertThat(runner.initialMask()).isEqualTo(1);
        assertThat(runner.initialPrecision()).isEqualTo(Precision.INT4);
        for (long key = 0; key < 1000; key++) {
            assertThat(runner.admit(key)).isTrue();
            t.addRow(key, runner.initialMask(), runner.initialPrecision());
            t.access(key, 1, (int) (key % 7) + 1, 1f);
        }
        assertThat(runner.isPassDue(999)).isFalse();
        assertThat(runner.isPassDue(1000)).isTrue();
        PassReport r = runner.runPass(t, 1000);
        assertThat(r.rowsAdmitted()).isEqualTo(1000);
        assertThat(r.bytesBefore()).isGreaterThan(20_000);
        assertThat(r.bytesAfter()).isEqualTo(t.storedBytes()).isLessThanOrEqualTo(19_000);
        assertThat(r.budgetMet()).isTrue();
        assertThat(r.rowsEvicted()).isPositive();
        assertThat(t.storedBytes()).isEqualTo(t.recomputeBytes());
        assertThat(runner.isPassDue(1500)).isFalse();
    }

    /** Drives {@code passes} periods of a fixed access pattern on {@code t}; returns the pass reports' bytes. */
    private static List<Long> drive(PolicyRunner runner, SimTable t, long fromStep, int passes) {
        List<Long> bytes = new java.util.ArrayList<>();
        for (long step = fromStep; step < fromStep + passes * 10L; step++) {
            for (long key = 0; key < 300; key++) {
                if (!t.contains(key)) {
                    t.addRow(key, runner.initialMask(), runner.initialPrecision());
                }
                // the hot set moves with the step, so passes keep having work to do
                t.access(key, step, (int) ((key + step / 10) % 13) + 1, 0.5f);
            }
            if (runner.isPassDue(step + 1)) {
                bytes.add(runner.runPass(t, step + 1).bytesAfter());
            }
        }
        return bytes;
    }

    @Test
    void shouldContinueExactlyFromExportedPassState() {
        PolicySettings s = PolicySettings.defaults().with(PolicySettings.MODE, "fiited-adaptive")
                .with(PolicySettings.INTERVAL_STEPS, "10").with(PolicySettings.BUDGET_BYTES, "12000");
        int[] widths = {4, 4, 4, 4};
        SimTable a = new SimTable(widths, s.utilityRule(), 1);
        SimTable b = new SimTable(widths, s.utilityRule(), 1);
        PolicyRunner straight = new PolicyRunner(s, widths, 1);
        PolicyRunner first = new PolicyRunner(s, widths, 1);
        assertThat(straight.checkpointable()).isTrue();
        List<Long> expected = drive(straight, a, 0, 6);
        List<Long> got = new java.util.ArrayList<>(drive(first, b, 0, 3));
        PolicyRunner resumed = new PolicyRunner(s, widths, 1);
        resumed.importPassState(first.exportPassState());
        got.addAll(drive(resumed, b, 30, 3));
        assertThat(got).isEqualTo(expected);
        assertThat(b.storedBytes()).isEqualTo(a.storedBytes());
        // A fresh runner (no state) would have started from the configured ratio: a different pass sequence.
        assertThat(new PolicyRunner(s, widths, 1).budget().keep()).isNotEqualTo(first.budget().keep());
    }

    @Test
    void shouldSayWhichModesCarryPerBatchState() {
        assertThat(new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "esapn"), new int[] {4, 4}, 1)
                .checkpointable()).isFalse();
        assertThat(new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "adaembed"), new int[] {4, 4}, 1)
                .checkpointable()).isFalse();
        assertThat(new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "adaembed")
                .with(PolicySettings.ADMISSION_COUNT, "1"), new int[] {4, 4}, 1).checkpointable()).isTrue();
        assertThat(new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "precision"), new int[] {4, 4}, 1)
                .checkpointable()).isTrue();
    }

    @Test
    void shouldChangeNothingInModeNone() {
        PolicySettings s = PolicySettings.defaults().with(PolicySettings.MODE, "none")
                .with(PolicySettings.BUDGET_BYTES, "100");
        int[] widths = {4, 4};
        SimTable t = new SimTable(widths, s.utilityRule(), 1);
        PolicyRunner runner = new PolicyRunner(s, widths, 1);
        for (long key = 0; key < 100; key++) {
            assertThat(runner.admit(key)).isTrue();
            t.addRow(key, runner.initialMask(), runner.initialPrecision());
        }
        long bytes = t.storedBytes();
        PassReport r = runner.runPass(t, 1000);
        assertThat(t.storedBytes()).isEqualTo(bytes).isEqualTo(r.bytesAfter());
        assertThat(r.chunksPruned() + r.rowsEvicted() + r.demotions()).isZero();
        assertThat(runner.initialMask()).isEqualTo(0b11);
    }
}
