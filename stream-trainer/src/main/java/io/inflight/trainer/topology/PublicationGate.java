package io.inflight.trainer.topology;

import io.inflight.trainer.config.GateSettings;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.metrics.TrainerMeters;
import java.util.Locale;
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The quality gate on a task's publications ({@link GateSettings}): at each publication it compares
 * the window's AUC and NE with the stream's (every event so far, the trailing baseline) and holds the
 * publication while the window is worse by more than the settings allow; the rows changed meanwhile
 * stay in the change log and go out with the first publication after the window recovers.
 *
 * <p>The decision is a function of the progressive metrics alone, which are part of the checkpointed
 * state and rebuilt exactly by the journal, so a restart or a replay decides every publication as the
 * first run did: the gate's state is exactly-once with the model's. Transitions are logged and
 * counted in {@link TrainerMeters} (not in a replay). Trainer thread only.
 */
final class PublicationGate {

    /** Logged under the processor's name, as the rest of publication. */
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    private final GateSettings settings;
    private final TrainerMeters meters;
    private final TaskId task;
    /** Whether the last publication judged live (not in a replay) was held: what the meters and the log show. */
    private boolean closed;

    PublicationGate(GateSettings settings, TrainerMeters meters, TaskId task) {
        this.settings = settings;
        this.meters = meters;
        this.task = task;
    }

    /** Whether the publication at {@code batches} is held, judged on {@code metrics}. */
    boolean holds(PersistedMetrics metrics, long batches, boolean replay) {
        if (!settings.enabled()) {
            return false;
        }
        ProgressiveMetrics.Summary w = metrics.copy(true).summary();
        ProgressiveMetrics.Summary s = metrics.copy(false).summary();
        String why = w.events() < settings.minEvents() ? null : reason(w, s);
        boolean close = why != null;
        if (replay) {
            return close;
        }
        if (close != closed) {
            meters.gate(close);
            LOG.info(String.format(Locale.ROOT, "task %s: publication gate %s at batch %d: window AUC %.4f NE %.4f, stream "
                    + "AUC %.4f NE %.4f%s", task, close ? "closed" : "open again", batches, w.auc(), w.ne(), s.auc(), s.ne(),
                    close ? " (" + why + "); model-updates are held" : "; the held updates go out now"));
        }
        closed = close;
        if (close) {
            meters.publicationHeld();
        }
        return close;
    }

    /** Why the window fails the gate, null when it passes. */
    private String reason(ProgressiveMetrics.Summary w, ProgressiveMetrics.Summary s) {
        if (settings.aucDrop() > 0 && s.auc() - w.auc() > settings.aucDrop()) {
            return String.format(Locale.ROOT, "AUC %.4f below the stream's, more than %s", s.auc() - w.auc(), settings.aucDrop());
        }
        if (settings.neRise() > 0 && w.ne() - s.ne() > settings.neRise()) {
            return String.format(Locale.ROOT, "NE %.4f above the stream's, more than %s", w.ne() - s.ne(), settings.neRise());
        }
        return null;
    }
}
