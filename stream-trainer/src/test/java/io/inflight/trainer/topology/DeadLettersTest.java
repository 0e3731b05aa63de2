package io.inflight.trainer.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.RejectReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/** A dead letter always fits the producer's limit, and says what it cut. */
class DeadLettersTest {

    private static final int MAX = 1_048_576;

    /** The size the producer checks against {@code max.request.size} (magic v2, no compression). */
    private static int producerSize(Record<byte[], byte[]> r) {
        return AbstractRecords.estimateSizeInBytesUpperBound((byte) 2, CompressionType.NONE, r.key(), r.value(),
                r.headers().toArray());
    }

    private static String header(Record<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void shouldCutAValueTooLargeToSendAgainAndSaySo() throws Exception {
        byte[] value = random(1_048_400, 1); // accepted by a clicks topic with the default limits
        DeadLetters.Source src = new DeadLetters.Source("k".getBytes(StandardCharsets.UTF_8), value,
                new RecordHeaders(
                new Header[] {new RecordHeader("trace", "t-1".getBytes(StandardCharsets.UTF_8))}), 5L, "x.clicks", 3, 77L);
        Record<byte[], byte[]> letter = DeadLetters.letter(src, RejectReason.UNKNOWN_VERSION, "version 173", MAX);
        assertThat(producerSize(letter)).isLessThanOrEqualTo(MAX);
        assertThat(letter.value().length).isGreaterThan(1_040_000);
        assertThat(letter.value()).isEqualTo(Arrays.copyOf(value, letter.value().length));
        assertThat(header(letter, DeadLetters.HEADER_TRUNCATED)).isEqualTo("value");
        assertThat(header(letter, DeadLetters.HEADER_ORIGINAL_SIZE)).isEqualTo("1048400");
        assertThat(header(letter, DeadLetters.HEADER_ORIGINAL_SHA256))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)));
        assertThat(header(letter, "trace")).isEqualTo("t-1");
        assertThat(header(letter, DeadLetters.HEADER_REASON)).isEqualTo("unknown-version");
        assertThat(header(letter, DeadLetters.HEADER_SOURCE_OFFSET)).isEqualTo("77");
        assertThat(letter.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldKeepARecordThatFitsWhole() {
        byte[] value = random(900_000, 2);
        Record<byte[], byte[]> letter = DeadLetters.letter(new DeadLetters.Source(null, value, new RecordHeaders(), 1L, "t", 0, 1L),
                RejectReason.BAD_SYNTAX, "x", MAX);
        assertThat(letter.value()).isEqualTo(value);
        assertThat(header(letter, DeadLetters.HEADER_TRUNCATED)).isNull();
    }

    @Test
    void shouldCutHeadersAndKeyWhenTheyAloneAreTooLarge() {
        Header[] headers = new Header[20];
        for (int i = 0; i < headers.length; i++) {
            headers[i] = new RecordHeader("h" + i, random(60_000, i));
        }
        byte[] key = random(2_000_000, 9);
        Record<byte[], byte[]> letter = DeadLetters.letter(new DeadLetters.Source(key, random(500_000, 3),
                new RecordHeaders(headers), 1L,
                "t", 0, 1L), RejectReason.INTERNAL_ERROR, "boom".repeat(2_000), 200_000);
        assertThat(producerSize(letter)).isLessThanOrEqualTo(200_000);
        assertThat(header(letter, DeadLetters.HEADER_TRUNCATED)).isEqualTo("value,headers,key");
        assertThat(header(letter, "h0")).isNull();
        assertThat(header(letter, DeadLetters.HEADER_REASON)).isEqualTo("internal-error");
        assertThat(header(letter, DeadLetters.HEADER_DETAIL)).hasSizeLessThan(1_010);
    }

    @Test
    void shouldReadTheProducerLimitFromTheStreamsConfiguration() {
        assertThat(DeadLetters.maxRecordBytes(Map.of())).isEqualTo(1_048_576);
        assertThat(DeadLetters.maxRecordBytes(Map.of("max.request.size", "500000"))).isEqualTo(500_000);
        assertThat(DeadLetters.maxRecordBytes(Map.of("max.request.size", 500_000, "producer.max.request.size", 300_000)))
                .isEqualTo(300_000);
        assertThat(DeadLetters.maxRecordBytes(Map.of(TrainerTopology.MAX_RECORD_BYTES_CONFIG, 100_000))).isEqualTo(100_000);
    }

    @Test
    void shouldStoreDeadLettersWithTheirHeadersInJobOutputs() {
        Record<byte[], byte[]> letter = DeadLetters.letter(new DeadLetters.Source(new byte[] {1}, new byte[] {2, 3},
                new RecordHeaders(new Header[] {new RecordHeader("a", null)}), 9L, "t", 1, 2L), RejectReason.INTERNAL_ERROR, "d", MAX);
        JobOutput o = new JobOutput(4, List.of(new JobOutput.Output(TrainerTopology.DEAD_LETTER_SINK, letter),
                new JobOutput.Output(TrainerTopology.PREDICTIONS_SINK, new Record<>(null, new byte[] {5}, 8L))));
        JobOutput back = JobOutput.decode(ByteBuffer.wrap(JobOutput.encode(List.of(o))));
        assertThat(back.seq()).isEqualTo(4);
        assertThat(back.records().get(0).sink()).isEqualTo(TrainerTopology.DEAD_LETTER_SINK);
        assertThat(back.records().get(0).record().value()).isEqualTo(new byte[] {2, 3});
        assertThat(back.records().get(0).record().headers().toArray()).hasSameSizeAs(letter.headers().toArray());
        assertThat(header(back.records().get(0).record(), DeadLetters.HEADER_REASON)).isEqualTo("internal-error");
        assertThat(back.records().get(1).sink()).isEqualTo(TrainerTopology.PREDICTIONS_SINK);
        assertThat(back.records().get(1).record().headers().toArray()).isEmpty();
    }
}
