package io.inflight.policies.sim;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;

/**
 * Open-addressing map from any {@code long} key to a non-negative {@code int} (linear probing,
 * backward-shift deletion, load factor at most 1/2, hashing by {@link SplitMix64#mix}). No boxing
 * and no per-entry objects. Not thread-safe.
 */
public final class LongIntHashMap {

    private long[] keys;
    private int[] values;
    private int mask;
    private int size;

    public LongIntHashMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(8, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new int[cap];
        Arrays.fill(values, -1);
        mask = cap - 1;
    }

    public int size() {
        return size;
    }

    /** The value of {@code key}, or -1 when absent. */
    public int get(long key) {
        int i = slot(key);
        while (values[i] >= 0) {
            if (keys[i] == key) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Maps {@code key} to {@code value >= 0}, replacing any previous value. */
    public void put(long key, int value) {
        if (value < 0) {
            throw new IllegalArgumentException("value must be >= 0, got " + value);
        }
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = slot(key);
        while (values[i] >= 0) {
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        values[i] = value;
        size++;
    }

    /** Removes {@code key}; returns its value or -1 when absent. */
    public int remove(long key) {
        int i = slot(key);
        while (values[i] >= 0) {
            if (keys[i] == key) {
                int old = values[i];
                shiftBack(i);
                size--;
                return old;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            values[hole] = -1;
            int j = i;
            while (true) {
                j = (j + 1) & mask;
                if (values[j] < 0) {
                    return;
                }
                int home = slot(keys[j]);
                // Move j into the hole unless its home lies cyclically in (hole, j].
                boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
                if (!stays) {
                    break;
                }
            }
            keys[hole] = keys[j];
            values[hole] = values[j];
            hole = j;
            i = j;
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        Arrays.fill(values, -1);
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldValues[i] >= 0) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }

    private int slot(long key) {
        return (int) SplitMix64.mix(key) & mask;
    }
}
