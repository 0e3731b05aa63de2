package io.inflight.store;

import java.util.Arrays;

/** A growable set of 64-bit keys (a {@link KeyIndex} with no values) with a sorted export. */
final class LongSet {

    private final KeyIndex index = new KeyIndex(1024);
    private long[] members = new long[1024];
    private int size;

    /** Adds {@code key}; returns true when it was not present. */
    boolean add(long key) {
        if (index.get(key) >= 0) {
            return false;
        }
        index.put(key, 0);
        if (size == members.length) {
            members = Arrays.copyOf(members, size * 2);
        }
        members[size++] = key;
        return true;
    }

    int size() {
        return size;
    }

    /** The members in ascending unsigned order (a new array). */
    long[] sortedUnsigned() {
        long[] out = Arrays.copyOf(members, size);
        sortUnsigned(out, out.length);
        return out;
    }

    void clear() {
        index.clear();
        size = 0;
    }

    /** Digits of {@link #sortUnsigned(long[], int[], int)}: six passes of 11 bits cover 64. */
    private static final int RADIX_BITS = 11;
    private static final int RADIX_PASSES = 6;
    /** Below this many keys an insertion sort is cheaper than clearing the radix histograms. */
    private static final int RADIX_MIN = 64;

    /**
     * Sorts the first {@code n} keys in ascending unsigned order and permutes {@code payload} alike, so
     * that {@code payload[i]} stays with {@code keys[i]}: a stable LSD radix sort (six 11-bit digits,
     * passes whose digit is the same for every key skipped). A caller that needs each key's slot in
     * key order gets both in one sort instead of a sort and a hash lookup per key (a policy pass over a
     * hot tier of 100,000 rows spent most of its time in those lookups).
     */
    static void sortUnsigned(long[] keys, int[] payload, int n) {
        if (n < RADIX_MIN) {
            for (int i = 1; i < n; i++) {
                long k = keys[i];
                int p = payload[i];
                int j = i - 1;
                while (j >= 0 && Long.compareUnsigned(keys[j], k) > 0) {
                    keys[j + 1] = keys[j];
                    payload[j + 1] = payload[j];
                    j--;
                }
                keys[j + 1] = k;
                payload[j + 1] = p;
            }
            return;
        }
        int buckets = 1 << RADIX_BITS;
        int mask = buckets - 1;
        int[][] counts = new int[RADIX_PASSES][buckets];
        for (int i = 0; i < n; i++) {
            long k = keys[i];
            for (int d = 0; d < RADIX_PASSES; d++) {
                counts[d][(int) (k >>> (d * RADIX_BITS)) & mask]++;
            }
        }
        long[] srcKeys = keys;
        int[] srcPayload = payload;
        long[] dstKeys = new long[n];
        int[] dstPayload = new int[n];
        for (int d = 0; d < RADIX_PASSES; d++) {
            int[] c = counts[d];
            int shift = d * RADIX_BITS;
            if (c[(int) (srcKeys[0] >>> shift) & mask] == n) {
                continue; // every key has this digit: the pass would not move anything
            }
            int sum = 0;
            for (int b = 0; b < buckets; b++) {
                int count = c[b];
                c[b] = sum;
                sum += count;
            }
            for (int i = 0; i < n; i++) {
                long k = srcKeys[i];
                int at = c[(int) (k >>> shift) & mask]++;
                dstKeys[at] = k;
                dstPayload[at] = srcPayload[i];
            }
            long[] tk = srcKeys;
            srcKeys = dstKeys;
            dstKeys = tk;
            int[] tp = srcPayload;
            srcPayload = dstPayload;
            dstPayload = tp;
        }
        if (srcKeys != keys) {
            System.arraycopy(srcKeys, 0, keys, 0, n);
            System.arraycopy(srcPayload, 0, payload, 0, n);
        }
    }

    /** Sorts the first {@code n} keys in ascending unsigned order (the RocksDB byte order of big-endian keys). */
    static void sortUnsigned(long[] keys, int n) {
        for (int i = 0; i < n; i++) {
            keys[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(keys, 0, n);
        for (int i = 0; i < n; i++) {
            keys[i] ^= Long.MIN_VALUE;
        }
    }
}
