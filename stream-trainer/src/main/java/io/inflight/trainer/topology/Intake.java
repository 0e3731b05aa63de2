package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventDecoder;
import io.inflight.topics.EventValidator;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import io.inflight.topics.json.JsonEventCodec;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The front door of the trainer: decodes and validates an input record; a record that fails goes to
 * the dead-letter sink with its reason and is counted (metric state and meters).
 *
 * <p>Two kinds, one code: the {@linkplain #of check} of a clicks record (in the trainer task of the
 * direct topology, or in an {@link IntakeProcessor} task of the one-model topology), and the
 * {@linkplain #checked read} of a record an intake task already checked (the trainer task of the
 * one-model topology): it is only decoded, and a {@linkplain #isRejectedMark rejected mark} counts
 * the dead letter the intake task wrote.
 */
final class Intake {

    /**
     * Header of the record an intake task forwards in place of one it dead-lettered (with an empty
     * value, which no valid event has), so the trainer task counts (and journals) the rejection.
     */
    static final String HEADER_REJECTED = "inflight.intake.rejected";

    private final EventDecoder decoder;
    private final EventValidator validator;
    private final TrainerMeters meters;
    private final Faults faults;
    /** The child the dead letters are forwarded to. */
    private final String deadLetterSink;
    /** Whether the records come checked from an intake task: decoded only, the rejected marks counted. */
    private final boolean checked;
    /** The largest record the producer may send (dead letters are cut to it); set by {@link #init}. */
    private int maxRecordBytes = TrainerTopology.DEFAULT_MAX_REQUEST_SIZE;

    /** The check of clicks records, dead letters to {@link TrainerTopology#DEAD_LETTER_SINK}. */
    Intake(TrainerSettings settings, TrainerMeters meters) {
        this(settings, meters, Faults.NONE);
    }

    /** As above, with {@code faults} checked at decoding and validation. */
    Intake(TrainerSettings settings, TrainerMeters meters, Faults faults) {
        this(settings, meters, faults, TrainerTopology.DEAD_LETTER_SINK, false);
    }

    /** The check of clicks records, dead letters to {@code deadLetterSink}. */
    static Intake of(TrainerSettings settings, TrainerMeters meters, Faults faults, String deadLetterSink) {
        return new Intake(settings, meters, faults, deadLetterSink, false);
    }

    /** The read of records an intake task checked (a record that no longer decodes is dead-lettered all the same). */
    static Intake checked(TrainerSettings settings, TrainerMeters meters, Faults faults) {
        return new Intake(settings, meters, faults, TrainerTopology.DEAD_LETTER_SINK, true);
    }

    private Intake(TrainerSettings settings, TrainerMeters meters, Faults faults, String deadLetterSink, boolean checked) {
        this.deadLetterSink = deadLetterSink;
        this.checked = checked;
        this.decoder = switch (settings.inputFormat()) {
            case "binary" -> new EventCodec(settings.limits());
            case "json" -> new JsonEventCodec(settings.limits());
            default -> throw new IllegalArgumentException("input format must be binary or json, got " + settings.inputFormat());
        };
        this.validator = new EventValidator(settings.limits());
        this.meters = meters;
        this.faults = faults;
    }

    /** Reads the producer's record size limit from the task's configuration. */
    void init(ProcessorContext<byte[], byte[]> context) {
        this.maxRecordBytes = DeadLetters.maxRecordBytes(context.appConfigs());
    }

    int maxRecordBytes() {
        return maxRecordBytes;
    }

    Faults faults() {
        return faults;
    }

    /** Whether the records come checked from an intake task (see {@link #checked}). */
    boolean isChecked() {
        return checked;
    }

    /** Whether {@code record} is an intake task's mark of a record it dead-lettered. */
    static boolean isRejectedMark(Record<byte[], byte[]> record) {
        return (record.value() == null || record.value().length == 0) && record.headers().lastHeader(HEADER_REJECTED) != null;
    }

    /** The mark an intake task forwards in place of a record it dead-lettered. */
    static Record<byte[], byte[]> rejectedMark(Record<byte[], byte[]> record) {
        return new Record<>(null, new byte[0], record.timestamp(),
                new RecordHeaders().add(HEADER_REJECTED, new byte[0]));
    }

    /** The decoder of the clicks topic's format (also used to re-read persisted raw records). */
    EventDecoder decoder() {
        return decoder;
    }

    /**
     * The decoded, valid event, or null when the record was dead-lettered: malformed, invalid, or
     * its decoding or validation threw anything but an {@link Faults#isInfrastructure infrastructure}
     * failure (reason {@code internal-error}, the exception's class in the detail). A checked record
     * is only decoded; a rejected mark is counted in {@code metrics} (null: none) and read as null.
     */
    ClickEvent accept(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, PersistedMetrics metrics) {
        if (checked && isRejectedMark(record)) {
            metrics.rejected(); // dead-lettered and metered by the intake task
            return null;
        }
        String stage = "decoding";
        try {
            if (!checked) {
                faults.check(Faults.Stage.DECODE, record.value());
            }
            ClickEvent event = decoder.decode(record.value());
            if (checked) {
                return event;
            }
            stage = "validation";
            faults.check(Faults.Stage.VALIDATE, event);
            validator.validate(event, context.currentSystemTimeMs());
            return event;
        } catch (MalformedEventException e) {
            reject(context, record, e.reason(), e.getMessage(), metrics);
            return null;
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            reject(context, record, RejectReason.INTERNAL_ERROR, Faults.describe(stage, e), metrics);
            return null;
        }
    }

    void reject(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, RejectReason reason,
                String detail, PersistedMetrics metrics) {
        if (metrics != null) {
            metrics.rejected();
        }
        meters.rejected(reason);
        DeadLetters.forward(context, record, reason, detail, maxRecordBytes, deadLetterSink);
    }
}
