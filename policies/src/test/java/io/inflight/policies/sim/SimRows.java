package io.inflight.policies.sim;

import io.inflight.policies.util.LongIntHashMap;
import java.util.Arrays;

/**
 * The rows of a {@link SimTable}: dense primitive arrays at indices {@code [0, size)}, found by an
 * open-addressing {@code long -> int} map; {@link #remove} moves the last row into the hole. No
 * per-row objects. Per-chunk arrays ({@link #precisions}, {@link #utilities}) hold row {@code r}'s
 * chunks at {@code [r * k, r * k + k)}. Not thread-safe.
 */
final class SimRows {

    private final int k;
    private final LongIntHashMap index;
    long[] keys;
    int[] masks;
    byte[] precisions;
    float[] utilities;
    long[] utilityStep;
    long[] accessCounts;
    long[] lastAccess;
    int size;

    SimRows(int k) {
        this.k = k;
        int cap = 1024;
        index = new LongIntHashMap(cap);
        keys = new long[cap];
        masks = new int[cap];
        precisions = new byte[cap * k];
        utilities = new float[cap * k];
        utilityStep = new long[cap];
        accessCounts = new long[cap];
        lastAccess = new long[cap];
    }

    /** Index of row {@code key}, or -1 when absent. */
    int indexOf(long key) {
        return index.get(key);
    }

    /**
     * Appends row {@code key} (which must be absent) with chunks {@code mask} at {@code precision},
     * zero utilities and accesses, last access and utility step {@code clock}; returns its index.
     */
    int add(long key, int mask, byte precision, long clock) {
        if (size == keys.length) {
            grow();
        }
        int r = size++;
        keys[r] = key;
        masks[r] = mask;
        Arrays.fill(precisions, r * k, r * k + k, precision);
        Arrays.fill(utilities, r * k, r * k + k, 0f);
        utilityStep[r] = clock;
        accessCounts[r] = 0;
        lastAccess[r] = clock;
        index.put(key, r);
        return r;
    }

    /** Removes the row at index {@code r}, moving the last row into its place. */
    void remove(int r) {
        index.remove(keys[r]);
        int last = size - 1;
        if (r != last) {
            keys[r] = keys[last];
            masks[r] = masks[last];
            System.arraycopy(precisions, last * k, precisions, r * k, k);
            System.arraycopy(utilities, last * k, utilities, r * k, k);
            utilityStep[r] = utilityStep[last];
            accessCounts[r] = accessCounts[last];
            lastAccess[r] = lastAccess[last];
            index.put(keys[r], r);
        }
        size--;
    }

    private void grow() {
        int cap = keys.length * 2;
        keys = Arrays.copyOf(keys, cap);
        masks = Arrays.copyOf(masks, cap);
        precisions = Arrays.copyOf(precisions, cap * k);
        utilities = Arrays.copyOf(utilities, cap * k);
        utilityStep = Arrays.copyOf(utilityStep, cap);
        accessCounts = Arrays.copyOf(accessCounts, cap);
        lastAccess = Arrays.copyOf(lastAccess, cap);
    }
}
