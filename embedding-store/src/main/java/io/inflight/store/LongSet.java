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
