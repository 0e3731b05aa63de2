package io.inflight.store;

import java.util.Arrays;

/**
 * Fixed-size chunk slots of one (width, precision) class in one byte array, with a stack of free
 * slot numbers (VHPI, FIITED Fig. 6: free = push, allocate = pop). Grows by doubling; never shrinks.
 * Not thread-safe.
 */
final class Slab {

    final int slotBytes;
    byte[] data;
    private int[] free = new int[16];
    private int freeTop;
    private int highWater;
    private int used;

    Slab(int slotBytes, int initialSlots) {
        this.slotBytes = slotBytes;
        this.data = new byte[Math.max(1, initialSlots) * slotBytes];
    }

    /** A free slot number (its bytes are not cleared). */
    int allocate() {
        used++;
        if (freeTop > 0) {
            return free[--freeTop];
        }
        if ((long) (highWater + 1) * slotBytes > data.length) {
            long grown = Math.max((long) data.length * 2, (long) (highWater + 1) * slotBytes);
            if (grown > Integer.MAX_VALUE - 16) {
                throw new IllegalStateException("slab of " + slotBytes + "-byte slots is full at " + highWater + " slots");
            }
            data = Arrays.copyOf(data, (int) grown);
        }
        return highWater++;
    }

    void release(int slot) {
        used--;
        if (freeTop == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeTop++] = slot;
    }

    int offset(int slot) {
        return slot * slotBytes;
    }

    int used() {
        return used;
    }

    /** Bytes held by the arrays of this slab (values and free stack). */
    long allocatedBytes() {
        return (long) data.length + 4L * free.length;
    }

    void clear() {
        freeTop = 0;
        highWater = 0;
        used = 0;
    }
}
