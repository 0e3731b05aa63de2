package io.inflight.trainer.topology;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What job number {@code seq} of a {@link BatchTrainerProcessor} (a whole batch or a publication)
 * emitted, in order; forwarded by the stream thread, and written with a checkpoint while it is not
 * yet forwarded in a committed transaction.
 */
record JobOutput(long seq, List<Output> records) {

    /** Stored sink codes (0 and 1 as the boolean written before dead letters were outputs too). */
    private static final byte MODEL_UPDATES = 0;
    private static final byte PREDICTIONS = 1;
    /** A dead letter: its headers follow the value. */
    private static final byte DEAD_LETTER = 2;

    /** A record for one of the trainer's sinks. */
    record Output(String sink, Record<byte[], byte[]> record) {
    }

    /** {@code outputs}, one after the other, as {@link #decode} reads them back. */
    static byte[] encode(Iterable<JobOutput> outputs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (JobOutput o : outputs) {
                out.writeLong(o.seq());
                out.writeInt(o.records().size());
                for (Output r : o.records()) {
                    out.writeByte(sinkCode(r.sink()));
                    out.writeLong(r.record().timestamp());
                    writeBytes(out, r.record().key());
                    writeBytes(out, r.record().value());
                    if (TrainerTopology.DEAD_LETTER_SINK.equals(r.sink())) {
                        Header[] headers = r.record().headers().toArray();
                        out.writeInt(headers.length);
                        for (Header h : headers) {
                            writeBytes(out, h.key().getBytes(StandardCharsets.UTF_8));
                            writeBytes(out, h.value());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: cannot happen
        }
        return bytes.toByteArray();
    }

    /** The next output {@link #encode} wrote into {@code b}. */
    static JobOutput decode(ByteBuffer b) {
        long seq = b.getLong();
        int n = b.getInt();
        List<Output> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte code = b.get();
            String sink = switch (code) {
                case MODEL_UPDATES -> TrainerTopology.MODEL_UPDATES_SINK;
                case PREDICTIONS -> TrainerTopology.PREDICTIONS_SINK;
                case DEAD_LETTER -> TrainerTopology.DEAD_LETTER_SINK;
                default -> throw new IllegalStateException("unknown sink code " + code + " in stored job outputs");
            };
            long ts = b.getLong();
            byte[] key = readBytes(b);
            byte[] value = readBytes(b);
            Headers headers = new RecordHeaders();
            if (code == DEAD_LETTER) {
                for (int h = b.getInt(); h > 0; h--) {
                    headers.add(new String(readBytes(b), StandardCharsets.UTF_8), readBytes(b));
                }
            }
            records.add(new Output(sink, new Record<>(key, value, ts, headers)));
        }
        return new JobOutput(seq, records);
    }

    private static byte sinkCode(String sink) {
        if (TrainerTopology.MODEL_UPDATES_SINK.equals(sink)) {
            return MODEL_UPDATES;
        }
        if (TrainerTopology.PREDICTIONS_SINK.equals(sink)) {
            return PREDICTIONS;
        }
        if (TrainerTopology.DEAD_LETTER_SINK.equals(sink)) {
            return DEAD_LETTER;
        }
        throw new IllegalArgumentException("no code for sink " + sink);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b == null ? -1 : b.length);
        if (b != null) {
            out.write(b);
        }
    }

    private static byte[] readBytes(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0) {
            return null;
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }
}
