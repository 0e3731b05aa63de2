package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ModelUpdateCodecTest {

    @Test
    void shouldCarryTheModelInEveryKey() {
        assertThat(ModelUpdateCodec.parseKey(ModelUpdateCodec.rowKey(3, -42L)))
                .isEqualTo(new ModelUpdateCodec.Key(true, 3, -42L));
        assertThat(ModelUpdateCodec.parseKey(ModelUpdateCodec.denseKey(7, 2)))
                .isEqualTo(new ModelUpdateCodec.Key(false, 7, 2));
        // the same row of two partitions' models: two keys, so compaction keeps both
        assertThat(ModelUpdateCodec.rowKey(0, 5L)).isNotEqualTo(ModelUpdateCodec.rowKey(1, 5L));
    }

    @Test
    void shouldReadKeysWithoutAModelAsModelZero() {
        assertThat(ModelUpdateCodec.parseKey(ByteBuffer.allocate(9).put((byte) 'r').putLong(9L).array()))
                .isEqualTo(new ModelUpdateCodec.Key(true, 0, 9L));
        assertThat(ModelUpdateCodec.parseKey(ByteBuffer.allocate(5).put((byte) 'd').putInt(1).array()))
                .isEqualTo(new ModelUpdateCodec.Key(false, 0, 1));
    }

    @Test
    void shouldRefuseOtherKeys() {
        assertThatThrownBy(() -> ModelUpdateCodec.parseKey(new byte[] {'x', 1, 2})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 bytes").hasMessageContaining("120");
        assertThatThrownBy(() -> ModelUpdateCodec.parseKey(new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelUpdateCodec.parseKey(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldRoundTripSharedRowChunksAndGates() {
        assertThat(ModelUpdateCodec.parseKey(ModelUpdateCodec.sharedKey(2, 5)))
                .isEqualTo(new ModelUpdateCodec.Key(ModelUpdateCodec.Kind.SHARED, 2, 5));
        assertThat(ModelUpdateCodec.parseKey(ModelUpdateCodec.gatesKey(4)))
                .isEqualTo(new ModelUpdateCodec.Key(ModelUpdateCodec.Kind.GATES, 4, 0));
        assertThat(ModelUpdateCodec.parseKey(ModelUpdateCodec.sharedKey(2, 5)).row()).isFalse();
        // rows 6 and 7 of a table of 8 at D = 2, taken from the middle of a buffer
        float[] buf = {9f, 1f, 2f, 3f, -4f, 5.5f, -6f, 9f};
        ModelUpdateCodec.SharedChunk c = ModelUpdateCodec.decodeSharedChunk(
                ModelUpdateCodec.sharedChunk(123_456L, 8, 2, 6, 2, buf, 1));
        assertThat(c.modelVersion()).isEqualTo(123_456L);
        assertThat(c.tableRows()).isEqualTo(8);
        assertThat(c.dim()).isEqualTo(2);
        assertThat(c.firstRow()).isEqualTo(6);
        assertThat(c.n()).isEqualTo(2);
        assertThat(c.values()).containsExactly(1f, 2f, 3f, -4f, 5.5f, -6f);

        ModelUpdateCodec.Gates g = ModelUpdateCodec.decodeGates(
                ModelUpdateCodec.gates(3_000_000_000L, 16, 8, new int[] {4, 4}, new float[] {0.5f, 0.25f, 1f}));
        assertThat(g.modelVersion()).isEqualTo(3_000_000_000L);
        assertThat(g.tableRows()).isEqualTo(16);
        assertThat(g.dim()).isEqualTo(8);
        assertThat(g.chunkWidths()).containsExactly(4, 4);
        assertThat(g.gates()).containsExactly(0.5f, 0.25f, 1f);
        // ungated (mode hash): no gates
        assertThat(ModelUpdateCodec.decodeGates(ModelUpdateCodec.gates(1, 4, 8, new int[] {8}, new float[0])).gates()).isEmpty();
    }

    @Test
    void shouldRefuseSharedRowsThatDoNotFitTheirTable() {
        float[] buf = new float[9];
        assertThatThrownBy(() -> ModelUpdateCodec.sharedChunk(1, 8, 2, 7, 2, buf, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[7, 9)").hasMessageContaining("table of 8");
        byte[] ok = ModelUpdateCodec.sharedChunk(1, 8, 2, 6, 2, buf, 0);
        ByteBuffer.wrap(ok).putInt(6, 7); // claim H = 7 < first + n
        assertThatThrownBy(() -> ModelUpdateCodec.decodeSharedChunk(ok)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table of 7");
        byte[] truncated = Arrays.copyOf(ModelUpdateCodec.sharedChunk(1, 8, 2, 6, 2, buf, 0), 16 + 5);
        assertThatThrownBy(() -> ModelUpdateCodec.decodeSharedChunk(truncated)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a multiple of 12");
        byte[] gates = ModelUpdateCodec.gates(1, 4, 8, new int[] {4, 4}, new float[] {0.5f});
        assertThatThrownBy(() -> ModelUpdateCodec.decodeGates(Arrays.copyOf(gates, gates.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> ModelUpdateCodec.decodeGates(ModelUpdateCodec.gates(1, 4, 8, new int[] {4, 3}, new float[0])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("summing to 7");
        byte[] future = ModelUpdateCodec.gates(1, 4, 8, new int[] {8}, new float[0]);
        future[0] = 2;
        assertThatThrownBy(() -> ModelUpdateCodec.decodeGates(future)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("version 2");
        assertThatThrownBy(() -> ModelUpdateCodec.decodeGates(ok)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kind 4, got 3");
    }
}
