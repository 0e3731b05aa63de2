package io.inflight.trainer.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HotRowCacheTest {

    @Test
    void shouldWriteThroughAndServeReadsFromEitherTier() {
        InMemoryRowStore below = new InMemoryRowStore(3);
        HotRowCache hot = new HotRowCache(below, 3, 2);
        hot.write(1, new float[] {1, 2, 3});
        float[] r = new float[3];
        assertThat(below.read(1, r)).isTrue();
        assertThat(r).containsExactly(1, 2, 3);
        below.write(2, new float[] {4, 5, 6});
        assertThat(hot.read(2, r)).isTrue();
        assertThat(r).containsExactly(4, 5, 6);
        assertThat(hot.read(3, r)).isFalse();
    }

    @Test
    void shouldDropLeastRecentlyUsedRowsButLoseNothing() {
        InMemoryRowStore below = new InMemoryRowStore(1);
        HotRowCache hot = new HotRowCache(below, 1, 2);
        hot.write(1, new float[] {1});
        hot.write(2, new float[] {2});
        float[] r = new float[1];
        hot.read(1, r); // 1 is now more recent than 2
        hot.write(3, new float[] {3});
        assertThat(hot.size()).isEqualTo(2);
        for (long k = 1; k <= 3; k++) {
            assertThat(hot.read(k, r)).isTrue();
            assertThat(r[0]).isEqualTo(k);
        }
    }

    @Test
    void shouldNotAliasTheCallersArray() {
        HotRowCache hot = new HotRowCache(new InMemoryRowStore(2), 2, 4);
        float[] row = {1, 2};
        hot.write(7, row);
        row[0] = 99;
        float[] r = new float[2];
        hot.read(7, r);
        assertThat(r[0]).isEqualTo(1);
        hot.delete(7);
        assertThat(hot.read(7, r)).isFalse();
    }

    @Test
    void shouldRejectANonPositiveCapacity() {
        assertThatThrownBy(() -> new HotRowCache(new InMemoryRowStore(1), 1, 0)).hasMessageContaining("got 0");
    }
}
