package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hot tier of 16 rows in front of a staged cold tier (what the streaming trainer runs between
 * checkpoints): every store operation behaves as over a plain cold tier, and nothing reaches the
 * tier underneath before {@link StagedColdTier#commit}.
 */
class StagedStoreTest extends EmbeddingStoreContractTest {

    private MemoryColdTier inner;
    private StagedColdTier staged;

    @Override
    EmbeddingStore newStore(StoreConfig config) {
        inner = new MemoryColdTier();
        staged = new StagedColdTier(inner);
        staged.staging(true);
        return new EmbeddingStore("staged", config.withHotCapacity(16), staged);
    }

    @Override
    boolean durable() {
        return true; // a reset of the store keeps the staged writes; only discard() drops them
    }

    @Test
    void shouldHoldEveryWriteBackUntilCommitAndReadTheSameAsAPlainColdTier() {
        EmbeddingStore s = newStore(config());
        workload(s);
        s.flush();
        assertThat(inner.size()).isZero();
        assertThat(staged.stagedRows()).isPositive();
        assertThat(staged.stagedBytes()).isPositive();

        EmbeddingStore plain = new EmbeddingStore("plain", config().withHotCapacity(16), new MemoryColdTier());
        workload(plain);
        plain.flush();
        assertThat(s.digest()).isEqualTo(plain.digest());
        assertThat(dump(s)).isEqualTo(dump(plain));

        List<String> before = dump(s);
        staged.commit();
        assertThat(staged.isEmpty()).isTrue();
        assertThat(staged.stagedBytes()).isZero();
        assertThat(inner.size()).isEqualTo((int) s.rowCount());
        s.reset();
        assertThat(dump(s)).isEqualTo(before);
    }

    @Test
    void shouldDropStagedWritesOnDiscard() {
        EmbeddingStore s = newStore(config());
        workload(s);
        s.flush();
        staged.commit();
        List<String> committed = dump(s);
        byte[] committedDigest = s.digest();
        // more training and an eviction after the commit, then a "crash": discard and reload
        long[] keys = {1, 2, 3};
        float[] g = new float[3 * s.stride()];
        Arrays.fill(g, 0.5f);
        s.scatter(keys, null, 3, g, 100);
        s.evictRow(5);
        s.flush();
        assertThat(s.digest()).isNotEqualTo(committedDigest);
        staged.discard();
        s.reset();
        assertThat(dump(s)).isEqualTo(committed);
        assertThat(s.digest()).isEqualTo(committedDigest);
    }

    @Test
    void shouldMergeStagedRowsAndDeletesIntoKeyOrder() {
        MemoryColdTier under = new MemoryColdTier();
        StagedColdTier tier = new StagedColdTier(under);
        under.put(2, new byte[] {2});
        under.put(4, new byte[] {4});
        under.put(-1, new byte[] {9}); // the largest unsigned key
        tier.staging(true);
        tier.put(1, new byte[] {1});
        tier.put(4, new byte[] {44});
        tier.delete(2);
        tier.put(5, new byte[] {5});
        StringBuilder seen = new StringBuilder();
        tier.forEachRow((k, v) -> seen.append(Long.toUnsignedString(k)).append('=').append(v[0]).append(' '));
        assertThat(seen.toString().trim()).isEqualTo("1=1 4=44 5=5 18446744073709551615=9");
        assertThat(tier.get(2)).isNull();
        assertThat(under.get(2)).containsExactly(2);
        tier.putMeta("changed/01", new byte[] {1});
        under.putMeta("changed/00", new byte[] {0});
        under.putMeta("changed/02", new byte[] {2});
        tier.deleteMeta("changed/02");
        StringBuilder meta = new StringBuilder();
        tier.forEachMeta("changed/", (n, v) -> meta.append(n).append(' '));
        assertThat(meta.toString().trim()).isEqualTo("changed/00 changed/01");
        assertThatThrownBy(() -> tier.staging(false)).isInstanceOf(IllegalStateException.class);
        tier.commit();
        assertThat(under.get(2)).isNull();
        assertThat(under.get(4)).containsExactly(44);
        assertThat(under.getMeta("changed/02")).isNull();
        assertThat(under.getMeta("changed/01")).containsExactly(1);
    }
}
