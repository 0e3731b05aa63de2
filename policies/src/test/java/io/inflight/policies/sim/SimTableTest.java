package io.inflight.policies.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.policies.UtilityRule;
import java.util.ConcurrentModificationException;
import org.junit.jupiter.api.Test;

class SimTableTest {

    private static final UtilityRule RULE = new UtilityRule(UtilityRule.Kind.ACCESS_ONLY, 0.5f);

    @Test
    void shouldAccountBytesExactlyByTheDocumentedFormula() {
        SimTable t = new SimTable(new int[] {2, 2, 4, 8}, RULE, 1);
        t.addRow(1, 0b1111, Precision.FP32);
        long meta = SimTable.ROW_METADATA_BYTES + 4L * SimTable.CHUNK_METADATA_BYTES;
        assertThat(t.storedBytes()).isEqualTo(meta + 16 * 4);
        t.setPrecision(1, 3, Precision.INT4); // 8 values * 4 bits = 4 bytes + 4 scale
        assertThat(t.storedBytes()).isEqualTo(meta + 8 * 4 + 4 + 4);
        t.setPrecision(1, 0, Precision.INT2); // 2 values * 2 bits = 4 bits -> rounded up to 1 byte + scale
        assertThat(t.storedBytes()).isEqualTo(meta + 1 + 4 + 2 * 4 + 4 * 4 + 4 + 4);
        t.pruneChunk(1, 2);
        assertThat(t.storedBytes()).isEqualTo(meta + 1 + 4 + 2 * 4 + 4 + 4);
        assertThat(t.storedBytes()).isEqualTo(t.recomputeBytes());
        t.addRow(2, 0, Precision.FP16);
        t.evictRow(1);
        assertThat(t.storedBytes()).isEqualTo(meta).isEqualTo(t.recomputeBytes());
        assertThat(t.rowCount()).isEqualTo(1);
    }

    @Test
    void shouldDecayUtilityOncePerStepIncludingStepsWithoutAccess() {
        SimTable t = SimTable.equalChunks(4, 2, RULE, 1);
        t.addRow(7, 0b11, Precision.FP32);
        t.access(7, 1, 1, 0f);
        t.access(7, 1, 1, 0f); // same step: signals add, no extra decay
        assertThat(t.utility(7, 0)).isEqualTo(2f);
        t.access(7, 3, 1, 0f); // 2 steps later: 2 * 0.25 + 1
        assertThat(t.utility(7, 0)).isEqualTo(1.5f);
        t.advanceTo(4);
        assertThat(t.utility(7, 1)).isEqualTo(0.75f);
    }

    @Test
    void shouldKeepRowsFindableAfterManyEvictions() {
        SimTable t = SimTable.equalChunks(8, 2, RULE, 1);
        for (long key = 0; key < 5000; key++) {
            t.addRow(key * 31, 0b11, Precision.FP32);
        }
        for (long key = 0; key < 5000; key += 2) {
            t.evictRow(key * 31);
        }
        assertThat(t.rowCount()).isEqualTo(2500);
        for (long key = 0; key < 5000; key++) {
            assertThat(t.contains(key * 31)).isEqualTo(key % 2 == 1);
        }
        assertThat(t.storedBytes()).isEqualTo(t.recomputeBytes());
    }

    @Test
    void shouldSampleDeterministicallyForASeed() {
        SimTable t = SimTable.equalChunks(4, 2, RULE, 1);
        for (long key = 0; key < 100; key++) {
            t.addRow(key, 0b11, Precision.FP32);
            t.setUtility(key, 1, key);
        }
        float[] a = new float[50];
        float[] b = new float[50];
        assertThat(t.sampleUtilities(1, 50, 9, a)).isEqualTo(50);
        t.sampleUtilities(1, 50, 9, b);
        assertThat(a).containsExactly(b);
        t.sampleUtilities(1, 50, 10, b);
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void shouldRejectChangesDuringAVisitAndMisuse() {
        SimTable t = SimTable.equalChunks(4, 2, RULE, 1);
        t.addRow(1, 0b01, Precision.FP32);
        assertThatThrownBy(() -> t.forEachRow(row -> t.pruneChunk(row.key(), 0)))
                .isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> t.pruneChunk(1, 1)).hasMessageContaining("already pruned");
        assertThatThrownBy(() -> t.allocateChunk(1, 0, ChunkInit.ZERO)).hasMessageContaining("already stored");
        assertThatThrownBy(() -> t.evictRow(2)).hasMessageContaining("no row with key 2");
    }
}
