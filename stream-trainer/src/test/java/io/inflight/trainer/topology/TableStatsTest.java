package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.policies.PassReport;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.RowSizes;
import io.inflight.store.StoreConfig;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TableStatsTest {

    private static EmbeddingStore storeWithRows(int rows) {
        EmbeddingStore s = EmbeddingStore.inMemory("t", StoreConfig.defaults(ChunkLayout.of(2, 2, 2, 2)));
        long[] keys = new long[rows];
        int[] accesses = new int[rows];
        for (int i = 0; i < rows; i++) {
            keys[i] = 1000 + i;
            accesses[i] = 1;
        }
        s.scatter(keys, accesses, rows, new float[rows * s.stride()], 1);
        return s;
    }

    private static PassReport evicting(long rows) {
        return new PassReport(1, PolicyMode.ALL, 0, 0, 0, false, 0, rows, 99, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0, true, 0);
    }

    @Test
    void shouldCountRowsByStoredChunksAndPrecision() {
        EmbeddingStore s = storeWithRows(5);
        s.setPrecision(1000, 0, Precision.INT8);
        s.setPrecision(1000, 1, Precision.INT8);
        s.setPrecision(1000, 2, Precision.INT8);
        s.setPrecision(1000, 3, Precision.INT8); // all int8
        s.setPrecision(1001, 2, Precision.FP16); // mixed
        s.pruneChunk(1002, 3); // three chunks, all fp32
        TableStats.PassTotals totals = new TableStats.PassTotals();
        totals.start(0);
        TableStats t = TableStats.of(s, totals);

        assertThat(t.rows()).isEqualTo(5);
        assertThat(t.bytes()).isEqualTo(s.storedBytes());
        assertThat(t.rowsByChunks()).containsExactly(0, 0, 0, 1, 4);
        assertThat(t.rowsAt(Precision.INT8)).isEqualTo(1);
        assertThat(t.rowsAt(Precision.FP32)).isEqualTo(3);
        assertThat(t.mixedRows()).isEqualTo(1);
        Precision[] fp32 = new Precision[4];
        Arrays.fill(fp32, Precision.FP32);
        ChunkLayout layout = ChunkLayout.of(2, 2, 2, 2);
        assertThat(t.fp32RowBytes()).isEqualTo(RowSizes.valueBytes(layout, 15, fp32) + RowSizes.metadataBytes(layout, 15, fp32));
        assertThat(t.bytes()).isLessThan(5 * t.fp32RowBytes()); // int8 and pruned chunks take less
    }

    @Test
    void shouldCountAdmittedRowsAsCreatedSinceTheStartFromRowsAndEvictions() {
        EmbeddingStore s = storeWithRows(6);
        TableStats.PassTotals totals = new TableStats.PassTotals();
        totals.start(2); // two of the six were restored, four created since
        s.evictRow(1000);
        s.evictRow(1001);
        s.evictRow(1002);
        totals.add(evicting(3));
        TableStats t = TableStats.of(s, totals);
        assertThat(t.rows()).isEqualTo(3);
        assertThat(t.evicted()).isEqualTo(3);
        assertThat(t.admitted()).as("the report's sketch admissions are not rows").isEqualTo(3 - 2 + 3);
        assertThat(t.passes()).isEqualTo(1);
        assertThat(TableStats.merge(t, t).evicted()).isEqualTo(6);
        assertThat(TableStats.merge(t, t).rowsByChunks()[4]).isEqualTo(6);
    }
}
