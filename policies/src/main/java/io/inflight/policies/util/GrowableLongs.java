package io.inflight.policies.util;

import java.util.Arrays;

/** A growable primitive {@code long} list, so passes collect decisions without boxing. Not thread-safe. */
public final class GrowableLongs {

    private long[] values;
    private int size;

    public GrowableLongs(int initialCapacity) {
        values = new long[Math.max(4, initialCapacity)];
    }

    public void add(long v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = v;
    }

    public long get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + i + " not in [0, " + size + ")");
        }
        return values[i];
    }

    public int size() {
        return size;
    }

    public void clear() {
        size = 0;
    }

    /** Sorts the first {@link #size()} values ascending. */
    public void sort() {
        Arrays.sort(values, 0, size);
    }
}
