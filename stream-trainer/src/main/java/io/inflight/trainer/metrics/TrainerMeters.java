package io.inflight.trainer.metrics;

import io.inflight.policies.PassReport;
import io.inflight.topics.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meters the trainer counts where the work is done, registered once per registry (names from
 * {@link MeterCatalogue}; the sampled gauges are registered by the caller that samples the tasks).
 * Journal replays are not counted: what they redo was counted before the restart. Thread-safe
 * (Micrometer meters; the recent passes under a lock).
 */
public final class TrainerMeters implements MeterBinder {

    public static final String EVENTS = MeterCatalogue.EVENTS;
    public static final String REJECTED = MeterCatalogue.REJECTED;
    public static final String NON_FINITE = MeterCatalogue.NON_FINITE;
    public static final String CHECKPOINT = MeterCatalogue.CHECKPOINT;
    /** Policy passes kept for the status page. */
    public static final int RECENT_PASSES = 20;
    /** The {@code action} tag values of {@link MeterCatalogue#POLICY_ACTIONS}. */
    public static final List<String> ACTIONS = List.of("admitted", "evicted", "grown", "pruned", "reallocated",
            "promoted", "demoted");

    private Counter events;
    private Counter nonFinite;
    private Timer checkpoints;
    private DistributionSummary checkpointBytes;
    private Timer journal;
    private DistributionSummary journalBytes;
    private Timer publications;
    private Timer passes;
    private final Map<String, Counter> actions = new LinkedHashMap<>();
    private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);
    private final Deque<PassReport> recent = new ArrayDeque<>();
    private final AtomicLong lastPublicationMs = new AtomicLong(-1);
    private final AtomicInteger gateHeld = new AtomicInteger();
    private Counter held;
    private Counter threadsReplaced;

    /** Meters bound to {@code registry}. */
    public static TrainerMeters on(MeterRegistry registry) {
        TrainerMeters m = new TrainerMeters();
        m.bindTo(registry);
        return m;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        events = counter(EVENTS, registry);
        nonFinite = counter(NON_FINITE, registry);
        checkpoints = timer(CHECKPOINT, registry);
        checkpointBytes = summary(MeterCatalogue.CHECKPOINT_BYTES, registry);
        journal = timer(MeterCatalogue.JOURNAL, registry);
        journalBytes = summary(MeterCatalogue.JOURNAL_BYTES, registry);
        publications = timer(MeterCatalogue.PUBLICATION, registry);
        passes = timer(MeterCatalogue.POLICY_PASS, registry);
        held = counter(MeterCatalogue.PUBLICATION_HELD, registry);
        threadsReplaced = counter(MeterCatalogue.THREADS_REPLACED, registry);
        Gauge.builder(MeterCatalogue.PUBLICATION_GATE, gateHeld, AtomicInteger::get)
                .description(MeterCatalogue.of(MeterCatalogue.PUBLICATION_GATE).meaning()).register(registry);
        MeterCatalogue.Meter a = MeterCatalogue.of(MeterCatalogue.POLICY_ACTIONS);
        for (String action : ACTIONS) {
            actions.put(action, Counter.builder(a.name()).description(a.meaning()).tag(MeterCatalogue.ACTION, action)
                    .register(registry));
        }
        MeterCatalogue.Meter r = MeterCatalogue.of(REJECTED);
        for (RejectReason reason : RejectReason.values()) {
            rejected.put(reason, Counter.builder(r.name()).description(r.meaning()).tag("reason", reason.code())
                    .baseUnit(r.unit()).register(registry));
        }
    }

    private static Counter counter(String name, MeterRegistry registry) {
        MeterCatalogue.Meter m = MeterCatalogue.of(name);
        return Counter.builder(name).description(m.meaning()).baseUnit(m.unit().isEmpty() ? null : m.unit())
                .register(registry);
    }

    private static Timer timer(String name, MeterRegistry registry) {
        return Timer.builder(name).description(MeterCatalogue.of(name).meaning()).register(registry);
    }

    private static DistributionSummary summary(String name, MeterRegistry registry) {
        MeterCatalogue.Meter m = MeterCatalogue.of(name);
        return DistributionSummary.builder(name).description(m.meaning()).baseUnit(m.unit()).register(registry);
    }

    public void event() {
        events.increment();
    }

    public void rejected(RejectReason reason) {
        rejected.get(reason).increment();
    }

    public void nonFinite() {
        nonFinite.increment();
    }

    /** A Streams thread failed and was replaced. */
    public void threadReplaced() {
        threadsReplaced.increment();
    }

    /** Streams threads replaced so far. */
    public long threadsReplaced() {
        return (long) threadsReplaced.count();
    }

    public void checkpoint(long nanos) {
        checkpoints.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A checkpoint that took {@code nanos} and made {@code heldBytes} (journal and staged rows) unnecessary. */
    public void checkpoint(long nanos, long heldBytes) {
        checkpoint(nanos);
        checkpointBytes.record(heldBytes);
    }

    /** A commit that wrote only the journal, in {@code nanos}, holding {@code heldBytes} since the last checkpoint. */
    public void journal(long nanos, long heldBytes) {
        journal.record(nanos, TimeUnit.NANOSECONDS);
        journalBytes.record(heldBytes);
    }

    /** A publication that took {@code nanos}, finished at wall-clock {@code nowMs}. */
    public void published(long nanos, long nowMs) {
        publications.record(nanos, TimeUnit.NANOSECONDS);
        lastPublicationMs.accumulateAndGet(nowMs, Math::max);
    }

    /** A publication the quality gate held. */
    public void publicationHeld() {
        held.increment();
    }

    /** A task's quality gate closed ({@code closed}) or opened again. */
    public void gate(boolean closed) {
        gateHeld.addAndGet(closed ? 1 : -1);
    }

    /** Tasks here whose quality gate holds their publications now. */
    public int gatesClosed() {
        return gateHeld.get();
    }

    /** Wall-clock time of the last publication, -1 before the first. */
    public long lastPublicationMs() {
        return lastPublicationMs.get();
    }

    /** A policy pass (not one re-run from the journal). */
    public void pass(PassReport r) {
        passes.record(r.durationNanos(), TimeUnit.NANOSECONDS);
        long[] counts = {r.rowsAdmitted(), r.rowsEvicted(), r.rowsGrown(), r.chunksPruned(), r.chunksReallocated(),
            r.promotions(), r.demotions()};
        for (int i = 0; i < counts.length; i++) {
            actions.get(ACTIONS.get(i)).increment(counts[i]);
        }
        synchronized (recent) {
            if (recent.size() == RECENT_PASSES) {
                recent.removeFirst();
            }
            recent.addLast(r);
        }
    }

    /** The last {@value #RECENT_PASSES} policy passes of every task here, oldest first. */
    public List<PassReport> recentPasses() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }
}
