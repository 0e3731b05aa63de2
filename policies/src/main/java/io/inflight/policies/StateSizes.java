package io.inflight.policies;

import io.inflight.policies.esapn.EsapnPolicy;

/**
 * How much per-feature state a {@link PolicyRunner} keeps besides the table: the admission sketch's
 * counters and ESAPN's per-feature slots, sized from the settings (and under a budget, within it).
 */
final class StateSizes {

    private StateSizes() {
    }

    /** Each of the sketch and ESAPN's slots may take at most 1/{@value} of the budget. */
    static final int STATE_SHARE = 16;

    static long limitedBudget(PolicySettings s) {
        return s.mode() == PolicyMode.NONE || s.mode() == PolicyMode.HASH ? 0 : s.budgetBytes();
    }

    /**
     * Sketch width, depth and ESAPN slots for {@code s}: under a budget the sketch and ESAPN's
     * per-feature slots get at most 1/16 of it each (fewer counters or slots than configured).
     */
    static int[] of(PolicySettings s) {
        boolean counting = s.mode().admission() && s.admissionCount() > 1;
        long limited = limitedBudget(s);
        int width = counting ? s.sketchWidth() : 16;
        int depth = counting ? s.sketchDepth() : 1;
        int slots = s.esapnStateSlots();
        if (limited > 0) {
            width = fitPowerOfTwo(width, limited / STATE_SHARE / (4L * depth));
            slots = fitPowerOfTwo(slots, limited / STATE_SHARE / EsapnPolicy.BYTES_PER_SLOT);
        }
        if (!s.mode().growth()) {
            slots = 16; // no growth: ESAPN only keeps its (unused) minimum
        }
        return new int[] {width, depth, slots};
    }

    /** The bytes of the sketch's counters and ESAPN's slots a runner with settings {@code s} allocates. */
    static long plannedBytes(PolicySettings s) {
        int[] sizes = of(s);
        boolean counting = s.mode().admission() && s.admissionCount() > 1;
        return (counting ? 4L * sizes[0] * sizes[1] : 0) + (s.mode().growth() ? (long) sizes[2] * EsapnPolicy.BYTES_PER_SLOT : 0);
    }

    /** The largest power of two at most {@code configured} and at most {@code bytesAllowed}, at least 16. */
    private static int fitPowerOfTwo(int configured, long allowed) {
        long n = configured;
        while (n > 16 && n > allowed) {
            n >>= 1;
        }
        return (int) n;
    }
}
