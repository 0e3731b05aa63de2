package io.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link LongSet#sortUnsigned(long[], int[], int)}: the unsigned order of the key-only sort, each payload kept with its key. */
class LongSetSortTest {

    private static void checkSorts(long[] keys) {
        int n = keys.length;
        long[] expected = keys.clone();
        LongSet.sortUnsigned(expected, n);
        long[] sorted = keys.clone();
        int[] payload = new int[n];
        for (int i = 0; i < n; i++) {
            payload[i] = i; // the key's original position
        }
        LongSet.sortUnsigned(sorted, payload, n);
        assertThat(sorted).as("n = %d", n).containsExactly(expected);
        for (int i = 0; i < n; i++) {
            assertThat(keys[payload[i]]).as("payload of position %d", i).isEqualTo(sorted[i]);
        }
    }

    @Test
    void randomKeysOfEverySizeAroundTheInsertionSortLimit() {
        SplittableRandom rnd = new SplittableRandom(7);
        for (int n : new int[] {0, 1, 2, 5, 63, 64, 65, 1000, 50_000}) {
            checkSorts(rnd.longs(n).toArray());
        }
    }

    @Test
    void signBitsExtremesDuplicatesAndSharedDigits() {
        checkSorts(new long[] {-1L, 0L, Long.MIN_VALUE, Long.MAX_VALUE, 1L, -2L, Long.MIN_VALUE + 1});
        SplittableRandom rnd = new SplittableRandom(11);
        long[] keys = new long[5_000];
        for (int i = 0; i < keys.length; i++) {
            // the same high bits everywhere (radix passes skipped), duplicates, negatives
            keys[i] = (0xABCDL << 48) | (rnd.nextInt(3_000) * (i % 2 == 0 ? 1L : -1L) & 0xFFFF_FFFFL);
        }
        checkSorts(keys);
        long[] dup = new long[200];
        Arrays.fill(dup, 0x8000_0000_0000_0001L);
        dup[100] = 3;
        checkSorts(dup);
    }

    @Test
    void aStableSortKeepsTheOrderOfEqualKeys() {
        long[] keys = new long[300];
        int[] payload = new int[300];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = i % 3 == 0 ? -5L : 9L;
            payload[i] = i;
        }
        LongSet.sortUnsigned(keys, payload, keys.length);
        for (int i = 1; i < keys.length; i++) {
            if (keys[i] == keys[i - 1]) {
                assertThat(payload[i]).isGreaterThan(payload[i - 1]);
            }
        }
        assertThat(keys[0]).isEqualTo(9L); // 9 is below -5 unsigned
    }
}
