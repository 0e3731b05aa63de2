package io.inflight.trainer.topology;

import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The intake stage of the one-model topology, one task per clicks partition: each record is decoded
 * and validated by the same {@link Intake} the trainer uses in the direct topology. A valid record
 * is forwarded unchanged (key, value, headers, timestamp) to the one-partition events topic the
 * trainer task reads; a record that fails is dead-lettered here with its reason, source coordinates
 * and meters exactly as the trainer would, and a {@linkplain Intake#rejectedMark rejected mark} (an
 * empty value and a header) takes its place in the events topic, so the trainer counts and journals
 * it in order as it does in the direct topology. Stateless: it holds nothing between records.
 */
public final class IntakeProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    private final Intake intake;
    private ProcessorContext<byte[], byte[]> context;

    public IntakeProcessor(TrainerSettings settings, TrainerMeters meters, Faults faults) {
        this.intake = Intake.of(settings, meters, faults, TrainerTopology.INTAKE_DEAD_LETTER_SINK);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        intake.init(context);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        boolean valid = intake.accept(context, record, null) != null;
        context.forward(valid ? record : Intake.rejectedMark(record), TrainerTopology.EVENTS_SINK);
    }
}
