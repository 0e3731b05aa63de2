package io.inflight.trainer.shard;

import io.inflight.policies.util.LongIntHashMap;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a row shard remembers of its recent requests, for its policies ({@link ShardPolicies}): per
 * request, in a ring of {@link #SLOTS} slots by batch number, the keys it pulled and the keys the
 * shard evicted while it handled it. From them: whether a row is <em>at rest</em> (no request of the
 * last W batches pulled it: {@link #atRest}) and which pushed gradients are of rows evicted after
 * their batch read them ({@link #evictedSince}). Each slot is exported to bytes to be committed with
 * the shard's rows ({@link #exportSlot}, {@link #restoreSlot}). One thread.
 */
public final class RequestRing {

    /** Slots: the largest window ({@code inflight.topology.shard.window} at most 256). */
    public static final int SLOTS = 256;
    /** The leading byte of {@link #exportSlot}'s bytes (1 had no evicted keys). */
    static final byte SLOT_FORMAT = 2;
    static final long[] NONE = new long[0];

    private final int window;
    /** Per slot ({@code batch mod SLOTS}): the request's batch (-1: none), its pulled and its evicted keys, ascending. */
    private final long[] slotBatch = new long[SLOTS];
    private final long[][] slotKeys = new long[SLOTS][];
    private final long[][] slotEvicted = new long[SLOTS][];
    /** The batch of the request being handled: rows its last W batches pulled are not at rest. */
    private long current = -1;
    /** While frozen ({@link #freeze}): the keys not at rest; else null (the slots are searched). */
    private LongIntHashMap busy;

    /**
     * @param window W, the trainer's batches in flight, in [1, {@link #SLOTS}]
     * @throws IllegalArgumentException naming it when it is not
     */
    public RequestRing(int window) {
        if (window < 1 || window > SLOTS) {
            throw new IllegalArgumentException("window must be in [1, " + SLOTS + "] batches, got " + window);
        }
        this.window = window;
        Arrays.fill(slotBatch, -1);
    }

    /** The slot of batch {@code batch}'s request. */
    public static int slotOf(long batch) {
        return (int) Math.floorMod(batch, (long) SLOTS);
    }

    /** Request {@code batch}, being handled now, pulled {@code keys}: not at rest for the next W batches. */
    public void pulled(long batch, long[] keys) {
        current = batch;
        int slot = slotOf(batch);
        slotBatch[slot] = batch;
        slotKeys[slot] = sorted(keys);
        slotEvicted[slot] = NONE;
    }

    /** The request being handled evicted {@code keys} (ascending). */
    void evicted(long[] keys) {
        slotEvicted[slotOf(current)] = keys;
    }

    /**
     * The keys evicted by requests after batch {@code pushBatch} up to the current one, ascending, or
     * null when none: batch {@code pushBatch} read them before they went, so their gradients in its
     * push are of rows the shard and the trainer forgot.
     */
    public long[] evictedSince(long pushBatch) {
        long[] out = null;
        for (int s = 0; s < SLOTS; s++) {
            long[] e = slotEvicted[s];
            if (slotBatch[s] > pushBatch && slotBatch[s] <= current && e != null && e.length > 0) {
                if (out == null) {
                    out = e.clone();
                } else {
                    long[] c = Arrays.copyOf(out, out.length + e.length);
                    System.arraycopy(e, 0, c, out.length, e.length);
                    out = c;
                }
            }
        }
        if (out != null) {
            Arrays.sort(out);
        }
        return out;
    }

    /** Whether slot s holds a request of the last W batches (or of a later one: a trainer that restarted re-sends). */
    private boolean recent(int s) {
        return slotBatch[s] >= 0 && slotBatch[s] > current - window;
    }

    /** Whether {@code key} is at rest: no request of the last W batches pulled it. */
    public boolean atRest(long key) {
        if (busy != null) {
            return busy.get(key) < 0;
        }
        for (int s = 0; s < SLOTS; s++) {
            if (recent(s) && Arrays.binarySearch(slotKeys[s], key) >= 0) {
                return false;
            }
        }
        return true;
    }

    /** Until {@link #thaw}, {@link #atRest} reads a set of the keys not at rest (a pass asks for every row). */
    void freeze() {
        int n = 0;
        for (int s = 0; s < SLOTS; s++) {
            if (recent(s)) {
                n += slotKeys[s].length;
            }
        }
        LongIntHashMap m = new LongIntHashMap(Math.max(16, n));
        for (int s = 0; s < SLOTS; s++) {
            if (recent(s)) {
                for (long k : slotKeys[s]) {
                    m.put(k, 1);
                }
            }
        }
        busy = m;
    }

    void thaw() {
        busy = null;
    }

    /**
     * Slot {@code slot}: {@code u8 format=2 | u64 batch | u32 n | n × u64 pulled key | u32 e | e × u64
     * evicted key}, or null when empty.
     */
    public byte[] exportSlot(int slot) {
        if (slotBatch[slot] < 0) {
            return null;
        }
        long[] keys = slotKeys[slot];
        long[] evicted = slotEvicted[slot] == null ? NONE : slotEvicted[slot];
        ByteBuffer b = ByteBuffer.allocate(17 + 8 * (keys.length + evicted.length)).put(SLOT_FORMAT)
                .putLong(slotBatch[slot]).putInt(keys.length);
        for (long k : keys) {
            b.putLong(k);
        }
        b.putInt(evicted.length);
        for (long k : evicted) {
            b.putLong(k);
        }
        return b.array();
    }

    /**
     * Restores slot {@code slot} from {@link #exportSlot} bytes (null: empty).
     *
     * @throws IllegalArgumentException naming the slot when the bytes are malformed or of another slot
     */
    public void restoreSlot(int slot, byte[] bytes) {
        slotBatch[slot] = -1;
        slotKeys[slot] = null;
        slotEvicted[slot] = null;
        if (bytes == null) {
            return;
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            byte format = b.get();
            if (format != SLOT_FORMAT) {
                throw new IllegalArgumentException("row shard ring slot " + slot + " format " + (format & 0xFF)
                        + " is not supported (this build reads " + SLOT_FORMAT + ")");
            }
            long batch = b.getLong();
            long[] keys = longs(b, slot, batch);
            long[] evicted = longs(b, slot, batch);
            if (b.hasRemaining() || slotOf(batch) != slot) {
                throw new IllegalArgumentException("row shard ring slot " + slot + " of batch " + batch + " has "
                        + b.remaining() + " bytes after its keys");
            }
            slotBatch[slot] = batch;
            slotKeys[slot] = keys;
            slotEvicted[slot] = evicted;
            current = Math.max(current, batch);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("row shard ring slot " + slot + " of " + bytes.length + " bytes is truncated", e);
        }
    }

    private static long[] longs(ByteBuffer b, int slot, long batch) {
        int n = b.getInt();
        if (n < 0 || (long) n * 8 > b.remaining()) {
            throw new IllegalArgumentException("row shard ring slot " + slot + " of batch " + batch + " lists " + n
                    + " keys in " + b.remaining() + " bytes");
        }
        long[] keys = new long[n];
        b.asLongBuffer().get(keys);
        b.position(b.position() + 8 * n);
        return keys;
    }

    private static long[] sorted(long[] keys) {
        for (int i = 1; i < keys.length; i++) {
            if (keys[i - 1] > keys[i]) {
                long[] s = keys.clone();
                Arrays.sort(s);
                return s;
            }
        }
        return keys;
    }
}
