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

    Intake(TrainerSettings settings, TrainerMeters meters) {
        this.decoder = switch (settings.inputFormat()) {
            case "binary" -> new EventCodec(settings.limits());
            case "json" -> new JsonEventCodec(settings.limits());
            default -> throw new IllegalArgumentException("input format must be binary or json, got " + settings.inputFormat());
        };
        this.validator = new EventValidator(settings.limits());
        this.meters = meters;
    }

    /** The decoder of the clicks topic's format (also used to re-read persisted raw records). */
    EventDecoder decoder() {
        return decoder;
    }

    /** The decoded, valid event, or null when the record was dead-lettered. */
    ClickEvent accept(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, PersistedMetrics metrics) {
        try {
            ClickEvent event = decoder.decode(record.value());
            validator.validate(event, context.currentSystemTimeMs());
            return event;
        } catch (MalformedEventException e) {
            reject(context, record, e.reason(), e.getMessage(), metrics);
            return null;
        }
    }

    void reject(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, RejectReason reason,
                String detail, PersistedMetrics metrics) {
        metrics.rejected();
        meters.rejected(reason);
        DeadLetters.forward(context, record, reason, detail);
    }
}
