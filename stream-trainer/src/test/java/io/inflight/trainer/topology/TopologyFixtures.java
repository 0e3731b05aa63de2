package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.streams.state.KeyValueStore;

/** What the trainer's topology tests share: a small learnable stream and a reader of the journal. */
final class TopologyFixtures {

    private TopologyFixtures() {
    }

    /** {@code n} events over fields {@code ad} (20 values, half of them mostly clicked) and {@code user} (50 values). */
    static List<ClickEvent> stream(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int ad = r.nextInt(20);
            out.add(new ClickEvent("e" + i, 1_700_000_000_000L + i, r.nextDouble() < (ad < 10 ? 0.8 : 0.1) ? 1 : 0,
                    List.of(ClickEvent.Field.of("ad", "a" + ad), ClickEvent.Field.of("user", "u" + r.nextInt(50))),
                    List.of()));
        }
        return out;
    }

    /**
     * The journal's entries in order: an event's raw record length, or a mark ({@link Journal#REJECTED},
     * {@link Journal#PUBLISH_MARK}, {@link Journal#FLUSH_MARK}); forwarded-jobs marks are left out.
     */
    static List<Integer> journalEntries(KeyValueStore<Long, byte[]> journal) {
        List<Integer> out = new ArrayList<>();
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream(); // entries may span records
        try (var it = journal.all()) {
            it.forEachRemaining(kv -> all.writeBytes(kv.value));
        }
        ByteBuffer b = ByteBuffer.wrap(all.toByteArray());
        while (b.hasRemaining()) {
            int n = b.getInt();
            if (n == Journal.FORWARDED_MARK) { // how many batches' outputs were forwarded by then
                b.getLong();
                continue;
            }
            out.add(n);
            b.position(b.position() + Math.max(0, n));
        }
        return out;
    }
}
