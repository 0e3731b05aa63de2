package io.inflight.store;

import java.util.Arrays;

/**
 * Open-addressing hash map from a 64-bit key to a non-negative int (linear probing, backward-shift
 * deletion, no tombstones, no per-entry objects). Not thread-safe.
 */
final class KeyIndex {

    private static final float MAX_LOAD = 0.7f;
    private long[] keys;
    private int[] vals; // -1 = empty
    private int mask;
    private int size;

    KeyIndex(int expected) {
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
        return (int) CounterRng.mix(key) & mask;
    }

    int get(long key) {
        int i = slot(key, mask);
        while (true) {
            int v = vals[i];
            if (v < 0 || keys[i] == key) {
                return v;
            }
            i = (i + 1) & mask;
        }
    }

    /** Inserts or replaces. */
    void put(long key, int value) {
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

    /** Removes {@code key}; returns its value or -1. */
    int remove(long key) {
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

    int size() {
        return size;
    }

    void clear() {
        Arrays.fill(vals, -1);
        size = 0;
    }

    long allocatedBytes() {
        return 12L * vals.length;
    }
}
