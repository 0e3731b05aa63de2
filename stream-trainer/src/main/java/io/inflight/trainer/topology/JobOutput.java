package io.inflight.trainer.topology;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Record;

/**
 * What job number {@code seq} of a {@link BatchTrainerProcessor} (a whole batch or a publication)
 * emitted, in order; forwarded by the stream thread, and written with a checkpoint while it is not
 * yet forwarded in a committed transaction.
 */
record JobOutput(long seq, List<Output> records) {

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
                    out.writeBoolean(TrainerTopology.PREDICTIONS_SINK.equals(r.sink()));
                    out.writeLong(r.record().timestamp());
                    writeBytes(out, r.record().key());
                    writeBytes(out, r.record().value());
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
            String sink = b.get() != 0 ? TrainerTopology.PREDICTIONS_SINK : TrainerTopology.MODEL_UPDATES_SINK;
            long ts = b.getLong();
            byte[] key = readBytes(b);
            byte[] value = readBytes(b);
            records.add(new Output(sink, new Record<>(key, value, ts)));
        }
        return new JobOutput(seq, records);
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
