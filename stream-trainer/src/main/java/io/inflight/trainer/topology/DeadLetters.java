package io.inflight.trainer.topology;

import io.inflight.topics.RejectReason;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** Sends a rejected input record to the dead-letter sink: original key, value and headers plus the reason and source. */
final class DeadLetters {

    private DeadLetters() {
    }

    static void forward(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, RejectReason reason,
                        String detail) {
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(TrainerProcessor.HEADER_REASON, reason.code().getBytes(StandardCharsets.UTF_8));
        String d = detail.length() <= 1000 ? detail : detail.substring(0, 1000) + "...";
        headers.add(TrainerProcessor.HEADER_DETAIL, d.getBytes(StandardCharsets.UTF_8));
        context.recordMetadata().ifPresent(m -> {
            headers.add(TrainerProcessor.HEADER_SOURCE_TOPIC, m.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(TrainerProcessor.HEADER_SOURCE_PARTITION, Integer.toString(m.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add(TrainerProcessor.HEADER_SOURCE_OFFSET, Long.toString(m.offset()).getBytes(StandardCharsets.UTF_8));
        });
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers),
                TrainerTopology.DEAD_LETTER_SINK);
    }

    /** The JSON line written to the predictions topic. */
    static byte[] prediction(String id, long time, int label, double p) {
        StringBuilder b = new StringBuilder(96).append("{\"id\":");
        if (id == null) {
            b.append("null");
        } else {
            b.append('"');
            for (int i = 0; i < id.length(); i++) {
                char c = id.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            b.append('"');
        }
        b.append(",\"time\":").append(time).append(",\"label\":").append(label).append(",\"p\":").append(p).append('}');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
