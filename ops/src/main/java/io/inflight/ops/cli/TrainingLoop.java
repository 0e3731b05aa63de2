package io.inflight.ops.cli;

import io.inflight.ops.train.ProgressLine;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.io.PrintStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;
import java.util.function.Predicate;
import org.apache.kafka.streams.KafkaStreams;

/** Watches a running {@link TrainerApp}: prints progress lines until a stop condition, Ctrl-C or a fatal error. */
final class TrainingLoop {

    private final TrainerApp app;
    private final AtomicReference<Throwable> fatal;
    private final PrintStream out;
    private final long intervalMs;
    private final LongFunction<String> detail;

    TrainingLoop(TrainerApp app, AtomicReference<Throwable> fatal, PrintStream out, long intervalMs) {
        this(app, fatal, out, intervalMs, null);
    }

    /** As above, printing {@code detail} of the events trained so far under each progress line (null: nothing). */
    TrainingLoop(TrainerApp app, AtomicReference<Throwable> fatal, PrintStream out, long intervalMs,
                 LongFunction<String> detail) {
        this.app = app;
        this.fatal = fatal;
        this.out = out;
        this.intervalMs = intervalMs;
        this.detail = detail;
    }

    /**
     * Prints a line every interval until {@code done} holds for the latest summary, a stop is requested,
     * or the application fails.
     *
     * @param stallMs fail when no event was processed for this long (0 = never)
     * @return the last summary seen (empty if the stores never became queryable)
     */
    Optional<ProgressiveMetrics.Summary> run(Shutdown shutdown, Predicate<ProgressiveMetrics.Summary> done, long stallMs)
            throws InterruptedException {
        long start = System.nanoTime();
        ProgressLine progress = new ProgressLine(start);
        Optional<ProgressiveMetrics.Summary> last = Optional.empty();
        long lastCount = -1;
        long lastChange = start;
        long nextPrint = start + intervalMs * 1_000_000L;
        while (!shutdown.awaitRequest(200)) {
            if (fatal.get() != null) {
                throw new IllegalStateException("training stopped: " + fatal.get(), fatal.get());
            }
            if (app.state() == KafkaStreams.State.ERROR || app.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("Kafka Streams is " + app.state());
            }
            Optional<ProgressiveMetrics.Summary> s = app.summary();
            long now = System.nanoTime();
            if (s.isPresent()) {
                if (last.isEmpty()) {
                    progress.baseline(s.get().events(), now); // what a restart restored is not throughput
                }
                last = s;
                long seen = s.get().events() + s.get().rejected();
                if (seen != lastCount) {
                    lastCount = seen;
                    lastChange = now;
                }
                if (done.test(s.get())) {
                    print(line(progress, s.get(), now), s.get().events());
                    return last;
                }
            }
            if (now >= nextPrint) {
                nextPrint = now + intervalMs * 1_000_000L;
                if (s.isPresent()) {
                    print(line(progress, s.get(), now), s.get().events());
                } else {
                    out.println("  waiting for the trainer's tasks (state " + app.state() + ")");
                }
            }
            if (stallMs > 0 && (now - lastChange) / 1_000_000L > stallMs) {
                throw new IllegalStateException("no event processed for " + stallMs / 1000 + " s (state " + app.state() + ")");
            }
        }
        return last;
    }

    private void print(String line, long events) {
        out.println(line);
        if (detail != null) {
            out.println(detail.apply(events));
        }
    }

    private String line(ProgressLine progress, ProgressiveMetrics.Summary s, long now) {
        if (s.events() == 0) {
            return progress.waiting(s, now);
        }
        return app.windowSummary().map(w -> progress.line(s, w, now)).orElseGet(() -> progress.line(s, now));
    }
}
