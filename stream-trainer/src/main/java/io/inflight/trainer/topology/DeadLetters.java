package io.inflight.trainer.topology;

import io.inflight.topics.RejectReason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Dead letters: a rejected input record with its original key, value and headers, plus the reason
 * and its source coordinates in headers.
 *
 * <p>A dead letter always fits the producer's {@code max.request.size} ({@link #maxRecordBytes}): a
 * record the clicks topic accepted may be too large to be sent again with headers added, so the
 * copied value (then the original headers, then the key) is cut to what fits, and the headers
 * {@value #HEADER_TRUNCATED} (what was cut), {@value #HEADER_ORIGINAL_SIZE} (the value's size in
 * bytes) and {@value #HEADER_ORIGINAL_SHA256} (of the whole original value) say so.
 */
public final class DeadLetters {

    /** The reason code of the rejection ({@link RejectReason#code()}). */
    public static final String HEADER_REASON = "inflight.reject.reason";
    /** What was wrong, in words (at most 1,000 characters). */
    public static final String HEADER_DETAIL = "inflight.reject.detail";
    public static final String HEADER_SOURCE_TOPIC = "inflight.source.topic";
    public static final String HEADER_SOURCE_PARTITION = "inflight.source.partition";
    public static final String HEADER_SOURCE_OFFSET = "inflight.source.offset";
    static final String HEADER_TRUNCATED = "inflight.reject.truncated";
    static final String HEADER_ORIGINAL_SIZE = "inflight.reject.original.size";
    static final String HEADER_ORIGINAL_SHA256 = "inflight.reject.original.sha256";
    /** Room kept for a record batch's framing and a record's varints (61 + at most ~40 bytes). */
    private static final int FRAMING_BYTES = 256;
    private static final int MAX_DETAIL_CHARS = 1000;

    private DeadLetters() {
    }

    /** Where a record came from and what it held, kept until it is trained (or dead-lettered). */
    record Source(byte[] key, byte[] value, Headers headers, long timestamp, String topic, int partition, long offset) {

        /** The record being processed by {@code context} (kept as it is: made for every event, copied only if needed). */
        static Source of(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record) {
            RecordMetadata m = context.recordMetadata().orElse(null);
            return new Source(record.key(), record.value(), record.headers(), record.timestamp(),
                    m == null ? null : m.topic(), m == null ? -1 : m.partition(), m == null ? -1 : m.offset());
        }

        /** A record known only by its value (re-read from the journal after a restart). */
        static Source ofValue(byte[] value, long timestamp) {
            return new Source(null, value, new RecordHeaders(), timestamp, null, -1, -1);
        }
    }

    /**
     * The largest record the trainer may produce: the producer's {@code max.request.size} (the
     * {@code producer.} prefixed setting first), or {@link TrainerTopology#MAX_RECORD_BYTES_CONFIG}
     * (the output topics' limit, set by the trainer app) when smaller.
     */
    public static int maxRecordBytes(Map<String, Object> appConfigs) {
        int max = TrainerTopology.maxRequestSize(appConfigs);
        Object topic = appConfigs.get(TrainerTopology.MAX_RECORD_BYTES_CONFIG);
        if (topic != null) {
            max = Math.min(max, Integer.parseInt(topic.toString().trim()));
        }
        return max;
    }

    /**
     * Forwards the dead letter of the record being processed to the child {@code sink}: its key, value
     * and headers with {@code reason}, {@code detail} and its source coordinates added, cut to
     * {@code maxRecordBytes} ({@link #maxRecordBytes}).
     */
    public static void forward(ProcessorContext<byte[], byte[]> context, Record<byte[], byte[]> record, RejectReason reason,
                        String detail, int maxRecordBytes, String sink) {
        context.forward(letter(Source.of(context, record), reason, detail, maxRecordBytes), sink);
    }

    /** The dead letter of {@code source}, at most {@code maxRecordBytes} as the producer counts them. */
    static Record<byte[], byte[]> letter(Source source, RejectReason reason, String detail, int maxRecordBytes) {
        Headers ours = new RecordHeaders();
        ours.add(HEADER_REASON, utf8(reason.code()));
        String d = detail.length() <= MAX_DETAIL_CHARS ? detail : detail.substring(0, MAX_DETAIL_CHARS) + "...";
        ours.add(HEADER_DETAIL, utf8(d));
        if (source.topic() != null) {
            ours.add(HEADER_SOURCE_TOPIC, utf8(source.topic()));
            ours.add(HEADER_SOURCE_PARTITION, utf8(Integer.toString(source.partition())));
            ours.add(HEADER_SOURCE_OFFSET, utf8(Long.toString(source.offset())));
        }
        byte[] key = source.key();
        byte[] value = source.value();
        Header[] original = source.headers().toArray();
        // 200: the three truncation headers, when needed
        long room = (long) maxRecordBytes - FRAMING_BYTES - headerBytes(ours.toArray()) - 200;
        long keyBytes = key == null ? 0 : key.length;
        long valueBytes = value == null ? 0 : value.length;
        long originalBytes = headerBytes(original);
        if (keyBytes + valueBytes + originalBytes <= room) {
            Headers all = new RecordHeaders(original);
            ours.forEach(all::add);
            return new Record<>(key, value, source.timestamp(), all);
        }
        StringBuilder cut = new StringBuilder("value");
        if (keyBytes + originalBytes > room) {
            original = new Header[0];
            originalBytes = 0;
            cut.append(",headers");
        }
        if (keyBytes > room) {
            key = Arrays.copyOf(key, (int) Math.max(0, room));
            keyBytes = key.length;
            cut.append(",key");
        }
        byte[] kept = Arrays.copyOf(value, (int) Math.max(0, Math.min(valueBytes, room - keyBytes - originalBytes)));
        Headers all = new RecordHeaders(original);
        ours.forEach(all::add);
        all.add(HEADER_TRUNCATED, utf8(cut.toString()));
        all.add(HEADER_ORIGINAL_SIZE, utf8(Long.toString(valueBytes)));
        all.add(HEADER_ORIGINAL_SHA256, utf8(sha256(value)));
        return new Record<>(key, kept, source.timestamp(), all);
    }

    private static long headerBytes(Header[] headers) {
        long n = 0;
        for (Header h : headers) {
            // the key's UTF-8 bytes, the value and two varints of at most 5 bytes
            n += utf8(h.key()).length + (h.value() == null ? 0 : h.value().length) + 10;
        }
        return n + 5;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes == null ? new byte[0] : bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
