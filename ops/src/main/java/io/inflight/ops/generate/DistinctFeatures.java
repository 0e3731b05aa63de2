package io.inflight.ops.generate;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import java.util.Arrays;

/**
 * A sink in front of another that counts the distinct features ((field, value) pairs, by their row
 * key {@link FeatureKeys#key}) of the events written through it, and remembers the count after every
 * {@value #STEP} events (4 bytes each; the trainer's batch sizes are usually multiples of it): how many
 * rows a table holding every feature seen would have at any point of the stream. Not thread-safe.
 */
public final class DistinctFeatures implements EventSink {

    /** Events between two remembered counts. */
    public static final int STEP = 32;

    private final EventSink next;
    private long[] keys = new long[1 << 16];
    private boolean zeroSeen;
    private long distinct;
    private long events;
    private int[] counts = new int[64];

    public DistinctFeatures(EventSink next) {
        this.next = next;
    }

    @Override
    public void write(ClickEvent event) {
        for (ClickEvent.Field f : event.fields()) {
            for (String v : f.values()) {
                add(FeatureKeys.key(f.name(), v));
            }
        }
        events++;
        if (events % STEP == 0) {
            int i = (int) (events / STEP) - 1;
            if (i >= counts.length) {
                counts = Arrays.copyOf(counts, counts.length * 2);
            }
            counts[i] = (int) Math.min(Integer.MAX_VALUE, distinct);
        }
        next.write(event);
    }

    private void add(long key) {
        if (key == 0) {
            distinct += zeroSeen ? 0 : 1;
            zeroSeen = true;
            return;
        }
        if (2 * (distinct + 1) > keys.length) {
            long[] old = keys;
            keys = new long[old.length * 2];
            for (long k : old) {
                if (k != 0) {
                    insert(k);
                }
            }
        }
        if (insert(key)) {
            distinct++;
        }
    }

    private boolean insert(long key) {
        int mask = keys.length - 1;
        for (int i = (int) FeatureKeys.mix(key) & mask; ; i = (i + 1) & mask) {
            if (keys[i] == key) {
                return false;
            }
            if (keys[i] == 0) {
                keys[i] = key;
                return true;
            }
        }
    }

    /** Distinct features of every event written so far. */
    public long distinct() {
        return distinct;
    }

    /** Distinct features of the first {@code n} events written, to the last multiple of {@value #STEP} at or below it. */
    public long distinctAt(long n) {
        if (n >= events) {
            return distinct;
        }
        int i = (int) (n / STEP) - 1;
        return i < 0 ? 0 : counts[i] & 0xFFFFFFFFL;
    }

    @Override
    public void close() {
        next.close();
    }
}
