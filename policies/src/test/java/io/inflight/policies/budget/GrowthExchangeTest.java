package io.inflight.policies.budget;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import io.inflight.policies.esapn.EsapnPolicy;
import io.inflight.policies.sim.SimTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class GrowthExchangeTest {

    private static final int[] WIDTHS = {4, 4, 4, 4};

    private static EsapnPolicy policy() {
        return new EsapnPolicy(1, WIDTHS.length, 8, 8, 1e-4f, EsapnPolicy.Baseline.PREVIOUS, ChunkInit.ZERO, 64,
                Precision.INT8, 7);
    }

    /**
     * 10 hot one-chunk rows (keys 0..9: utility {@code stored} in chunk 0, {@code missing} in the
     * chunks they lack) and, when {@code cold}, 30 cold one-chunk rows (keys 100..129, utility 0.01
     * in chunk 0, 0 in the others).
     */
    private static SimTable table(float stored, float missing, boolean cold) {
        SimTable t = new SimTable(WIDTHS, UtilityRule.defaults(), 1);
        t.setAllocationPrecision(Precision.INT8);
        for (long key = 0; key < 10; key++) {
            t.addRow(key, 0b0001, Precision.INT8);
            t.setUtility(key, 0, stored);
            for (int c = 1; c < WIDTHS.length; c++) {
                t.setUtility(key, c, missing);
            }
        }
        for (long key = 100; cold && key < 130; key++) {
            t.addRow(key, 0b0001, Precision.INT8);
            t.setUtility(key, 0, 0.01f); // and nothing learned through the chunks it lacks
        }
        return t;
    }

    private static SimTable table() {
        return table(50f, 50f, true);
    }

    @Test
    void shouldPayForHotRowsChunksByEvictingColdRowsAndEndWithinTheTarget() {
        SimTable t = table();
        EsapnPolicy growth = policy();
        long target = t.storedBytes(); // no room: every granted byte must be paid for
        GrowthExchange.Result r = new GrowthExchange().run(t, growth, target, 0);

        assertThat(r.candidates()).as("3 missing chunks per row").isEqualTo(40 * 3);
        assertThat(r.granted()).as("every hot row's three chunks beat a cold row per byte").isEqualTo(30);
        assertThat(r.evicted()).isPositive().isLessThan(30);
        for (long key = 0; key < 10; key++) {
            assertThat(t.contains(key)).as("hot row %d kept", key).isTrue();
        }
        long coldLeft = LongStream.range(100, 130).filter(t::contains).count();
        assertThat(coldLeft).isEqualTo(30 - r.evicted());
        assertThat(t.storedBytes() + growth.reservedBytes()).isLessThanOrEqualTo(target);
        assertThat(growth.reservedBytes()).isEqualTo(30 * (t.rowBytes(0b0011, precs()) - t.rowBytes(0b0001, precs())));

        // grants are taken up at the next observation, within the allowance, and lapse afterwards
        growth.setGrowthAllowance(target - t.storedBytes());
        assertThat(growth.observe(t, 3, 0, 10, t.mask(3), 0.5f)).isTrue();
        assertThat(t.mask(3)).isEqualTo(0b1111);
        assertThat(growth.reservedBytes()).isEqualTo(27 * (t.rowBytes(0b0011, precs()) - t.rowBytes(0b0001, precs())));
        growth.clearGrants();
        assertThat(growth.reservedBytes()).isZero();
        long before = t.storedBytes();
        growth.setGrowthAllowance(0);
        assertThat(growth.observe(t, 4, 0, 10, t.mask(4), 0.5f)).as("lapsed grant, no allowance").isFalse();
        assertThat(t.storedBytes()).isEqualTo(before);
    }

    @Test
    void shouldNotEvictWhenNoChunkIsWorthMoreThanARow() {
        // per byte: a hot row's missing chunk 0.001 / 8 B, a cold row 0.01 / 56 B: the orders cross at once
        SimTable t = table(50f, 0.001f, true);
        long target = t.storedBytes();
        GrowthExchange.Result r = new GrowthExchange().run(t, policy(), target, 0);
        assertThat(r.granted()).isZero();
        assertThat(r.evicted()).isZero();
        assertThat(t.rowCount()).isEqualTo(40);
    }

    @Test
    void shouldGrantFreeBytesWithoutEvictingAndKeepOpenGrantsAcrossARestore() throws IOException {
        SimTable t = table(1000f, 50f, false); // rows worth more per byte than the chunks they lack
        EsapnPolicy growth = policy();
        long delta = t.rowBytes(0b0011, precs()) - t.rowBytes(0b0001, precs());
        GrowthExchange.Result r = new GrowthExchange().run(t, growth, t.storedBytes() + 5 * delta, 0);
        assertThat(r.granted()).as("the free bytes' worth").isEqualTo(5);
        assertThat(r.evicted()).isZero();
        assertThat(t.rowCount()).isEqualTo(10);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        growth.writeState(new DataOutputStream(bytes));
        EsapnPolicy restored = policy();
        restored.readState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertThat(restored.reservedBytes()).isEqualTo(growth.reservedBytes()).isEqualTo(5 * delta);
        SimTable other = table(1000f, 50f, false);
        restored.setGrowthAllowance(5 * delta);
        growth.setGrowthAllowance(5 * delta);
        int chunksGrown = 0;
        for (long key = 0; key < 10; key++) {
            growth.observe(t, key, 0, 10, t.mask(key), 0.5f);
            restored.observe(other, key, 0, 10, other.mask(key), 0.5f);
            assertThat(other.mask(key)).as("row %d after the restore", key).isEqualTo(t.mask(key));
            chunksGrown += Integer.bitCount(t.mask(key)) - 1;
        }
        assertThat(chunksGrown).as("the five granted chunks, nothing beyond the allowance").isEqualTo(5);
        assertThat(other.storedBytes()).isEqualTo(t.storedBytes());
        assertThat(growth.reservedBytes()).isZero();
    }

    private static Precision[] precs() {
        return new Precision[] {Precision.INT8, Precision.INT8, Precision.INT8, Precision.INT8};
    }
}
