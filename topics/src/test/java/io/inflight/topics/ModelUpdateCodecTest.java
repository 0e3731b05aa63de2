package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
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
}
