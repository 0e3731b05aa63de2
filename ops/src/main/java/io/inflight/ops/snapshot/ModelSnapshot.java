package io.inflight.ops.snapshot;

import io.inflight.trainer.config.InflightConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigException;

/**
 * One model replica as saved by {@code inflight snapshot export} ({@link SnapshotFile} reads and
 * writes it): its rows with their chunk masks and precisions, its dense parameters, its shared
 * hashed rows and gates (when it has them), the settings that shape them and the model-updates
 * offsets it reflects.
 *
 * @param applicationId the application that trained it
 * @param modelId       the clicks partition whose trainer published it
 * @param settings      the shaping settings ({@link #SHAPING_KEYS}) as the trainer had them
 * @param topic         the model-updates topic it was read from
 * @param offsets       per partition of {@code topic}: the offset after the last record it reflects
 * @param dim           D
 * @param rows          in ascending key order
 * @param denseVersion  batches trained when the dense parameters were published (-1: none)
 * @param dense         the dense parameters in export order (no optimizer state)
 * @param shared        the shared hashed rows and gates, or null
 */
public record ModelSnapshot(String applicationId, int modelId, Map<String, String> settings, String topic,
                            Map<Integer, Long> offsets, int dim, List<Row> rows, long denseVersion, float[] dense,
                            Shared shared) {

    /** The settings a warm-started trainer or a replica must share with the snapshot. */
    public static final List<String> SHAPING_KEYS = List.of(InflightConfig.MODEL_TYPE, InflightConfig.MODEL_DIM,
            InflightConfig.MODEL_FIELDS, InflightConfig.MODEL_NUMERIC_FIELDS, InflightConfig.MODEL_HIDDEN,
            InflightConfig.STORE_CHUNKS);

    public ModelSnapshot {
        Objects.requireNonNull(applicationId);
        settings = Map.copyOf(settings);
        offsets = Map.copyOf(offsets);
        rows = List.copyOf(rows);
        Objects.requireNonNull(dense);
    }

    /**
     * A row as published: chunk mask, {@code bits} (the widest stored chunk's precision, as the
     * model-updates topic carries it), linear weight and D values (zeros in pruned chunks).
     */
    public record Row(long key, int mask, int bits, float linear, float[] values) {
    }

    /** H shared rows ({@code values}: H x (D values, linear weight)), the chunk widths and per-field gates (empty: ungated). */
    public record Shared(long version, int tableRows, float[] values, int[] chunkWidths, float[] gates) {
    }

    /** The shaping settings of {@code cfg}, as strings. */
    public static Map<String, String> shapingOf(InflightConfig cfg) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> values = cfg.inflightValues();
        for (String k : SHAPING_KEYS) {
            out.put(k, String.valueOf(values.get(k)));
        }
        return out;
    }

    /**
     * Fails when a shaping setting of {@code cfg} differs from the snapshot's, naming the key and both
     * values.
     */
    public void checkShape(InflightConfig cfg, Path file) {
        Map<String, String> mine = shapingOf(cfg);
        for (String k : SHAPING_KEYS) {
            String saved = settings.get(k);
            if (!Objects.equals(saved, mine.get(k))) {
                throw new ConfigException(k, mine.get(k), "the snapshot " + file + " was taken with " + k + " = " + saved
                        + ": a model it seeds or serves must have the same shape");
            }
        }
    }
}
