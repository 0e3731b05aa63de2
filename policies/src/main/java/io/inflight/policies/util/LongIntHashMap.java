package io.inflight.policies.util;

import java.util.Arrays;

/**
 * Open-addressing hash map from any 64-bit key to a non-negative int (linear probing at load factor
 * at most 0.7, backward-shift deletion, no tombstones, hashing by {@link SplitMix64#mix}). No boxing
 * and no per-entry objects. Not thread-safe. The store's hot-tier index ({@code KeyIndex}) and the
 * policies' reference table ({@code SimTable}) are this map.
 */
public class LongIntHashMap {

    private static final float MAX_LOAD = 0.7f;
    private long[] keys;
    private int[] vals; // -1 = empty
    private int mask;
    private int size;

    public LongIntHashMap(int expected) {
        int need = (int) Math.min(1 << 30, (long) (expected / MAX_LOAD) + 2);
        allocate(Math.max(16, Integer.highestOneBit(need - 1) << 1));
    }

    private void allocate(int cap) {
        keys = new long[cap];
        vals = new int[cap];
        Arrays.fill(vals, -1);
        mask = cap - 1;
    }

    private static int slot(long key, int mask) {
        return (int) SplitMix64.mix(key) & mask;
    }

    /** The value of {@code key}, or -1 when absent. */
    public final int get(long key) {
        int i = slot(key, mask);
        while (true) {
            int v = vals[i];
            if (v < 0 || keys[i] == key) {
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    /** Maps {@code key} to {@code value >= 0}, replacing any previous value. */
    public final void put(long key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("value must be >= 0, got " + value);
        }
        if (size + 1 > (int) (vals.length * MAX_LOAD)) {
            grow();
        }
        int i = slot(key, mask);
        while (vals[i] >= 0) {
            if (keys[i] == key) {
                vals[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        vals[i] = value;
        size++;
    }

    /** Removes {@code key}; returns its value or -1 when absent. */
    public final int remove(long key) {
        int i = slot(key, mask);
        while (true) {
            int v = vals[i];
            if (v < 0) {
                return -1;
            }
            if (keys[i] == key) {
                break;
            }
            i = (i + 1) & mask;
        }
        int removed = vals[i];
        // Backward-shift: move later members of the probe run into the hole.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            if (vals[j] < 0) {
                break;
            }
            int home = slot(keys[j], mask);
            boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
            if (movable) {
                keys[hole] = keys[j];
                vals[hole] = vals[j];
                hole = j;
            }
        }
        vals[hole] = -1;
        size--;
        return removed;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldVals = vals;
        allocate(vals.length * 2);
        size = 0;
        for (int i = 0; i < oldVals.length; i++) {
            if (oldVals[i] >= 0) {
                put(oldKeys[i], oldVals[i]);
            }
        }
    }

    public final int size() {
        return size;
    }

    public final void clear() {
        Arrays.fill(vals, -1);
        size = 0;
    }

    /** Bytes of the two slot arrays (12 per slot). */
    public final long allocatedBytes() {
        return 12L * vals.length;
    }
}
