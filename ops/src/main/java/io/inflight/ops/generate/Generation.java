package io.inflight.ops.generate;

import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.io.PrintStream;
import java.util.Locale;

/** Runs a {@link SyntheticStream} into a sink with a progress line every two seconds. */
public final class Generation {

    private Generation() {
    }

    /** Writes every event of {@code spec} to {@code sink} (closing it) and returns the teacher's metrics. */
    public static ProgressiveMetrics.Summary run(GeneratorSpec spec, EventSink sink, PrintStream progress) {
        SyntheticStream stream = new SyntheticStream(spec);
        long start = System.nanoTime();
        long lastPrint = start;
        try (sink) {
            while (stream.hasNext()) {
                sink.write(stream.nextEvent());
                if ((stream.index() & 0xFFF) == 0) {
                    long now = System.nanoTime();
                    if (now - lastPrint > 2_000_000_000L) {
                        lastPrint = now;
                        progress.printf(Locale.ROOT, "  generated %,d / %,d events (%.0f%%), %,.0f events/s%n",
                                stream.index(), spec.events(), 100.0 * stream.index() / Math.max(1, spec.events()),
                                stream.index() / ((now - start) / 1e9));
                    }
                }
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        progress.printf(Locale.ROOT, "  generated %,d events in %.1f s (%,.0f events/s)%n", spec.events(), secs,
                spec.events() / Math.max(1e-9, secs));
        return stream.teacherSummary();
    }
}
