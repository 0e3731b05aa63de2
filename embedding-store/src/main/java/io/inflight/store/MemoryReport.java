package io.inflight.store;

import io.inflight.policies.Precision;
import java.util.EnumMap;
import java.util.Map;

/**
 * Exact bytes of an {@link EmbeddingStore} by the row model of {@link RowSizes}: every row counted
 * once, in the tier that holds its current value (the hot tier for cached rows, the cold tier for
 * the rest). {@code hotAllocatedBytes} is what the hot tier's arrays really occupy (index slack,
 * LRU links and slab growth included).
 *
 * @param rows                 rows stored (both tiers)
 * @param valueBytes           embedding value bytes of every row
 * @param metadataBytes        metadata bytes of every row
 * @param hotRows              rows in the hot tier
 * @param hotValueBytes        value bytes of the hot rows
 * @param hotMetadataBytes     metadata bytes of the hot rows
 * @param valueBytesByPrecision value bytes per precision (every row)
 * @param valueBytesByChunk    value bytes per chunk, i.e. per dimension range (every row)
 * @param hotAllocatedBytes    bytes held by the hot tier's arrays
 * @param dim                  D
 */
public record MemoryReport(long rows, long valueBytes, long metadataBytes, long hotRows, long hotValueBytes,
                           long hotMetadataBytes, Map<Precision, Long> valueBytesByPrecision, long[] valueBytesByChunk,
                           long hotAllocatedBytes, int dim) {

    public MemoryReport {
        valueBytesByPrecision = Map.copyOf(valueBytesByPrecision);
        valueBytesByChunk = valueBytesByChunk.clone();
    }

    static MemoryReport of(Accounting all, Accounting hot, long hotAllocated, int dim) {
        Map<Precision, Long> byP = new EnumMap<>(Precision.class);
        for (Precision p : Precision.values()) {
            byP.put(p, all.valueBytesByPrecision[p.ordinal()]);
        }
        return new MemoryReport(all.rows, all.valueBytes, all.metadataBytes, hot.rows, hot.valueBytes,
                hot.metadataBytes, byP, all.valueBytesByChunk, hotAllocated, dim);
    }

    @Override
    public long[] valueBytesByChunk() {
        return valueBytesByChunk.clone();
    }

    /** Values plus metadata of every row. */
    public long storedBytes() {
        return valueBytes + metadataBytes;
    }

    public long coldRows() {
        return rows - hotRows;
    }

    public long coldValueBytes() {
        return valueBytes - hotValueBytes;
    }

    public long coldMetadataBytes() {
        return metadataBytes - hotMetadataBytes;
    }
}
