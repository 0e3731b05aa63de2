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
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The front door of both trainer processors: decodes and validates an input record; a record that
 * fails goes to the dead-letter sink with its reason and is counted (metric state and meters).
 */
final class Intake {

    private final EventDecoder decoder;
    private final EventValidator validator;
    private final TrainerMeters meters;
    private final Faults faults;
    /** The largest record the producer may send (dead letters are cut to it); set by {@link #init}. */
    private int maxRecordBytes = TrainerTopology.DEFAULT_MAX_REQUEST_SIZE;

    Intake(TrainerSettings settings, TrainerMeters meters) {
        this(settings, meters, Faults.NONE);
    }

    Intake(TrainerSettings settings, TrainerMeters meters, Faults faults) {
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

    /** The decoder of the clicks topic's format (also used to re-read persisted raw records). */
    EventDecoder decoder() {
        return decoder;
    }

    /**
     * The decoded, valid event, or null when the record was dead-lettered: malformed, invalid, or
     * its decoding or validation threw anything but an {@link Faults#isInfrastructure infrastructure}
     * failure (reason {@code internal-error}, the exception's class in the detail).
     */
    ClickEvent accept(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, PersistedMetrics metrics) {
        String stage = "decoding";
        try {
            faults.check(Faults.Stage.DECODE, record.value());
            ClickEvent event = decoder.decode(record.value());
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
        metrics.rejected();
        meters.rejected(reason);
        DeadLetters.forward(context, record, reason, detail, maxRecordBytes);
    }
}
