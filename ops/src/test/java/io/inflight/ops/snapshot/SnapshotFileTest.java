package io.inflight.ops.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.trainer.config.InflightConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot format: a golden file of version 1, round trips, and the refusal of damaged files. */
class SnapshotFileTest {

    /** The snapshot of {@code snapshot/golden-v1.snap}: two rows of D = 4 in two chunks, dense parameters, shared rows. */
    static ModelSnapshot golden() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(InflightConfig.MODEL_TYPE, "fm");
        settings.put(InflightConfig.MODEL_DIM, "4");
        settings.put(InflightConfig.MODEL_FIELDS, "[a, b]");
        settings.put(InflightConfig.MODEL_NUMERIC_FIELDS, "[]");
        settings.put(InflightConfig.MODEL_HIDDEN, "[]");
        settings.put(InflightConfig.STORE_CHUNKS, "[2, 2]");
        return new ModelSnapshot("golden-app", 0, settings, "golden.model-updates", Map.of(0, 42L, 1, 7L), 4,
                List.of(new ModelSnapshot.Row(-5L, 0b11, 32, 0.25f, new float[] {1f, -2f, 0.5f, 3.75f}),
                        new ModelSnapshot.Row(9L, 0b01, 8, -1.5f, new float[] {0.125f, 2f, 0f, 0f})),
                17, new float[] {0.5f, -0.25f, 1e-3f},
                new ModelSnapshot.Shared(17, 2, new float[] {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f}, new int[] {2, 2},
                        new float[] {0.5f, 0.75f}));
    }

    private static byte[] fixture() throws IOException {
        try (InputStream in = SnapshotFileTest.class.getResourceAsStream("/snapshot/golden-v1.snap")) {
            assertThat(in).as("the golden snapshot fixture").isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void shouldWriteTheGoldenFileByteForByte() throws IOException {
        // a change of the format must raise SnapshotFile.VERSION and add a new fixture, not rewrite this one
        assertThat(SnapshotFile.encode(golden())).isEqualTo(fixture());
    }

    @Test
    void shouldReadTheGoldenFile(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("golden.snap"), fixture());
        assertSame(SnapshotFile.read(f), golden());
    }

    @Test
    void shouldRoundTripWithoutSharedRowsOrDense(@TempDir Path dir) {
        ModelSnapshot g = golden();
        ModelSnapshot s = new ModelSnapshot("a", 3, g.settings(), "t", Map.of(), 4, g.rows(), -1, new float[0], null);
        Path f = dir.resolve("s.snap");
        SnapshotFile.write(f, s);
        assertSame(SnapshotFile.read(f), s);
    }

    @Test
    void shouldRefuseATruncatedSnapshotNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] all = fixture();
        for (int cut : new int[] {1, 4, 5, 30, all.length / 2, all.length - 20}) {
            Path f = Files.write(dir.resolve("cut-" + cut + ".snap"), Arrays.copyOf(all, all.length - cut));
            assertThatThrownBy(() -> SnapshotFile.read(f)).as("cut %d bytes", cut).isInstanceOf(SnapshotException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining("is truncated");
        }
    }

    @Test
    void shouldRefuseACorruptedSnapshotNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] all = fixture();
        all[all.length - 60] ^= 0x10; // a bit of a value in the shared rows
        Path f = Files.write(dir.resolve("flipped.snap"), all);
        assertThatThrownBy(() -> SnapshotFile.read(f)).isInstanceOf(SnapshotException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("is corrupted").hasMessageContaining("CRC32C");
        Path other = Files.write(dir.resolve("other.snap"), "not a snapshot at all".getBytes());
        assertThatThrownBy(() -> SnapshotFile.read(other)).hasMessageContaining(other.toString())
                .hasMessageContaining("is not an Inflight snapshot");
        byte[] v2 = fixture();
        v2[9] = 2;
        Path newer = Files.write(dir.resolve("v2.snap"), v2);
        assertThatThrownBy(() -> SnapshotFile.read(newer)).hasMessageContaining("format version 2");
    }

    @Test
    void shouldNameTheSettingThatDoesNotMatch() {
        Map<String, String> raw = new LinkedHashMap<>();
        raw.put(InflightConfig.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        raw.put(InflightConfig.MODEL_TYPE, "fm");
        raw.put(InflightConfig.MODEL_DIM, "4");
        raw.put(InflightConfig.MODEL_FIELDS, "a,b");
        raw.put(InflightConfig.STORE_CHUNKS, "2,2");
        ModelSnapshot same = new ModelSnapshot("a", 0, ModelSnapshot.shapingOf(InflightConfig.parse(raw)), "t", Map.of(), 4,
                List.of(), -1, new float[0], null);
        same.checkShape(InflightConfig.parse(raw), Path.of("s.snap"));
        raw.put(InflightConfig.MODEL_DIM, "8");
        raw.put(InflightConfig.STORE_CHUNKS, "4,4");
        assertThatThrownBy(() -> same.checkShape(InflightConfig.parse(raw), Path.of("s.snap")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(InflightConfig.MODEL_DIM)
                .hasMessageContaining("8").hasMessageContaining("= 4").hasMessageContaining("s.snap");
    }

    private static void assertSame(ModelSnapshot a, ModelSnapshot b) {
        assertThat(a.applicationId()).isEqualTo(b.applicationId());
        assertThat(a.modelId()).isEqualTo(b.modelId());
        assertThat(a.settings()).isEqualTo(b.settings());
        assertThat(a.topic()).isEqualTo(b.topic());
        assertThat(a.offsets()).isEqualTo(b.offsets());
        assertThat(a.dim()).isEqualTo(b.dim());
        assertThat(a.denseVersion()).isEqualTo(b.denseVersion());
        assertThat(a.dense()).containsExactly(b.dense());
        assertThat(a.rows()).hasSameSizeAs(b.rows());
        for (int i = 0; i < a.rows().size(); i++) {
            ModelSnapshot.Row x = a.rows().get(i);
            ModelSnapshot.Row y = b.rows().get(i);
            assertThat(new Object[] {x.key(), x.mask(), x.bits(), x.linear()}).containsExactly(y.key(), y.mask(), y.bits(),
                    y.linear());
            assertThat(x.values()).containsExactly(y.values());
        }
        if (b.shared() == null) {
            assertThat(a.shared()).isNull();
        } else {
            assertThat(a.shared().version()).isEqualTo(b.shared().version());
            assertThat(a.shared().tableRows()).isEqualTo(b.shared().tableRows());
            assertThat(a.shared().values()).containsExactly(b.shared().values());
            assertThat(a.shared().chunkWidths()).containsExactly(b.shared().chunkWidths());
            assertThat(a.shared().gates()).containsExactly(b.shared().gates());
        }
    }
}
