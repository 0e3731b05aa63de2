package io.inflight.policies;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.esapn.EsapnPolicy;
import io.inflight.policies.sim.SimTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyRunnerTest {

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
        assertThat(runner.initialMask()).as("growth in mode all: rows start at one chunk").isEqualTo(0b0001);
        assertThat(runner.initialPrecision()).as("the ladder's floor: int8, measured lossless").isEqualTo(Precision.INT8);
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

    /**
     * Drives {@code passes} periods of a fixed access pattern on {@code t} as a trainer does
     * (admission, growth observations, dimension importance, passes) for {@code steps} steps;
     * returns the row count after each step and what each pass did.
     */
    private static List<String> drive(PolicyRunner runner, SimTable t, long fromStep, int steps) {
        List<String> reports = new ArrayList<>();
        int d = Arrays.stream(t.chunkWidths()).sum();
        for (long step = fromStep; step < fromStep + steps; step++) {
            for (long key = 0; key < 300; key++) {
                if (!t.contains(key)) {
                    if (!runner.admit(key)) {
                        continue;
                    }
                    t.addRow(key, runner.initialMask(), runner.initialPrecision());
                }
                // the hot set moves with the step, so passes keep having work to do
                t.access(key, step, (int) ((key + step / 10) % 13) + 1, 0.5f);
                if (runner.growthEnabled()) {
                    float loss = 0.7f - 0.01f * Integer.bitCount(t.mask(key)) * (key % 3) + 0.001f * (step % 7);
                    runner.observeFeature(t, key, (int) (key % 2), t.accesses(key), t.mask(key), loss);
                }
                if (runner.needsDimensionImportance()) {
                    for (int j = 0; j < d; j++) {
                        // early steps favour the last dimensions, later ones the first: the sum decides
                        runner.dimensionImportance().add(j, 0.01f * (step < 30 ? j : d - j) + 0.001f * (key % 5));
                    }
                }
            }
            runner.endBatch();
            reports.add(Long.toString(t.rowCount()));
            if (runner.isPassDue(step + 1)) {
                PassReport r = runner.runPass(t, step + 1);
                reports.add(r.bytesAfter() + "/" + r.rowsAdmitted() + "/" + r.rowsGrown() + "/" + r.growthBlocked() + "/" + r.rowsEvicted() + "/"
                        + r.chunksPruned() + "/" + r.droppedColumns());
            }
        }
        return reports;
    }

    /** Every row's mask, precisions, utilities and accesses. */
    private static List<String> rows(SimTable t) {
        List<String> out = new ArrayList<>();
        t.forEachRow(r -> {
            StringBuilder b = new StringBuilder().append(r.key()).append(':').append(r.mask()).append(':')
                    .append(r.accesses());
            for (int c = 0; c < t.chunkWidths().length; c++) {
                b.append(':').append(r.precision(c)).append(':').append(r.utility(c));
            }
            out.add(b.toString());
        });
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"fiited-adaptive", "esapn", "adaembed", "fiited-2d", "precision", "all"})
    void shouldContinueExactlyFromExportedState(String mode) {
        PolicySettings s = PolicySettings.defaults().with(PolicySettings.MODE, mode)
                .with(PolicySettings.INTERVAL_STEPS, "10").with(PolicySettings.BUDGET_BYTES, "24000")
                .with(PolicySettings.ADMISSION_COUNT, "3").with(PolicySettings.ADMISSION_SKETCH_WIDTH, "1024")
                .with(PolicySettings.ESAPN_STATE_SLOTS, "256").with(PolicySettings.FIITED2D_COLDSTART_STEPS, "40");
        int[] widths = {4, 4, 4, 4};
        SimTable a = new SimTable(widths, s.utilityRule(), 1);
        SimTable b = new SimTable(widths, s.utilityRule(), 1);
        PolicyRunner straight = new PolicyRunner(s, widths, 2);
        PolicyRunner first = new PolicyRunner(s, widths, 2);
        List<String> expected = drive(straight, a, 0, 60);
        // stopped half-way between passes, so per-batch state (sketch, growth slots, importance) is in flight
        List<String> got = new ArrayList<>(drive(first, b, 0, 35));
        PolicyRunner resumed = new PolicyRunner(s, widths, 2);
        resumed.importState(first.exportState());
        got.addAll(drive(resumed, b, 35, 25));
        assertThat(got).hasSize(60 + 6).isEqualTo(expected);
        assertThat(rows(b)).isEqualTo(rows(a));
        assertThat(b.storedBytes()).isEqualTo(a.storedBytes());
        // A fresh runner (no state) takes another path from the same point.
        SimTable c = new SimTable(widths, s.utilityRule(), 1);
        List<String> fresh = new ArrayList<>(drive(new PolicyRunner(s, widths, 2), c, 0, 35));
        fresh.addAll(drive(new PolicyRunner(s, widths, 2), c, 35, 25));
        assertThat(List.of(fresh, rows(c))).isNotEqualTo(List.of(expected, rows(a)));
    }

    @Test
    void shouldRefuseTheStateOfAnotherMode() {
        int[] widths = {4, 4};
        PolicyRunner esapn = new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "esapn"), widths, 1);
        PolicyRunner all = new PolicyRunner(PolicySettings.defaults().with(PolicySettings.MODE, "all"), widths, 1);
        assertThatThrownBy(() -> all.importState(esapn.exportState()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mode esapn");
        assertThatThrownBy(() -> all.importState(new byte[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unreadable");
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

    @Test
    void shouldCountThePoliciesStateInTheBudget() {
        PolicySettings s = PolicySettings.fromMap(Map.of(PolicySettings.MODE, "all",
                PolicySettings.BUDGET_BYTES, "1000000", PolicySettings.ADMISSION_COUNT, "2"));
        PolicyRunner r = new PolicyRunner(s, new int[] {4, 4, 4, 4}, 26);
        // configured: a 1M x 4 sketch (16 MiB) and ESAPN's slots; under the budget each gets at most 1/16 of it
        assertThat(r.stateBytes()).isLessThanOrEqualTo(2 * 1_000_000 / 16);
        assertThat(r.stateBytes()).isGreaterThan(1_000_000 / 16 / 2);
        assertThat(r.tableBudgetBytes()).isEqualTo(1_000_000 - r.stateBytes());
        PolicySettings free = PolicySettings.fromMap(Map.of(PolicySettings.MODE, "all", PolicySettings.ADMISSION_COUNT, "2"));
        PolicyRunner unlimited = new PolicyRunner(free, new int[] {4, 4, 4, 4}, 26);
        assertThat(unlimited.stateBytes())
                .isEqualTo((16L << 20) + (long) free.esapnStateSlots() * EsapnPolicy.BYTES_PER_SLOT);
        assertThat(unlimited.tableBudgetBytes()).isZero();
        // ESAPN keeps at least 16 slots of 34 bytes: 544 of a 1,000-byte budget leaves less than half
        assertThatThrownBy(() -> new PolicyRunner(PolicySettings.fromMap(Map.of(PolicySettings.MODE, "esapn",
                PolicySettings.BUDGET_BYTES, "1000")), new int[] {4, 4, 4, 4}, 26))
                .hasMessageContaining(PolicySettings.BUDGET_BYTES).hasMessageContaining("policies' state");
    }
}
