package io.inflight.ops.snapshot;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The snapshot file format, version 1 (big-endian):
 * <pre>
 * magic "INFLSNAP" | u16 version=1 | u32 header length | header | sections | u8 0 (end) | u32 CRC32C
 * header:  str application id | i32 model | i32 D | i64 dense version | u16 n × (str key, str value) settings
 *          | str topic | u16 n × (i32 partition, i64 offset)
 * section: u8 tag | u32 length | body
 *   1 rows:   i32 n | n × (i64 key, i32 chunk mask, u8 bits, f32 linear, D × f32)
 *   2 dense:  i32 n | n × f32
 *   3 shared: i64 version | i32 H | u8 K | K × u16 chunk width | u16 F | F × f32 gate | H × (D × f32, f32 linear)
 * </pre>
 * {@code str} is a u16 length and UTF-8 bytes. The CRC32C covers every byte before it. A reader
 * refuses another magic or version, a file that ends early (truncated) and one whose checksum does
 * not match (corrupted), naming the file; unknown section tags are refused too (a newer format
 * must raise the version).
 */
public final class SnapshotFile {

    static final byte[] MAGIC = "INFLSNAP".getBytes(StandardCharsets.US_ASCII);
    public static final int VERSION = 1;
    private static final int ROWS = 1;
    private static final int DENSE = 2;
    private static final int SHARED = 3;

    private SnapshotFile() {
    }

    /** Writes {@code s} to {@code file} (through a temporary file, then moved in place). */
    public static void write(Path file, ModelSnapshot s) {
        byte[] bytes = encode(s);
        try {
            Path dir = file.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the snapshot " + file + ": " + e.getMessage(), e);
        }
    }

    /** The file's bytes for {@code s}. */
    public static byte[] encode(ModelSnapshot s) {
        try {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(all);
            out.write(MAGIC);
            out.writeShort(VERSION);
            section(out, -1, header(s));
            section(out, ROWS, rows(s));
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(b);
            d.writeInt(s.dense().length);
            for (float f : s.dense()) {
                d.writeFloat(f);
            }
            section(out, DENSE, b.toByteArray());
            if (s.shared() != null) {
                section(out, SHARED, shared(s.shared()));
            }
            out.writeByte(0);
            CRC32C crc = new CRC32C();
            crc.update(all.toByteArray());
            out.writeInt((int) crc.getValue());
            return all.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory
        }
    }

    private static void section(DataOutputStream out, int tag, byte[] body) throws IOException {
        if (tag >= 0) {
            out.writeByte(tag);
        }
        out.writeInt(body.length);
        out.write(body);
    }

    private static byte[] header(ModelSnapshot s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeUTF(s.applicationId());
        d.writeInt(s.modelId());
        d.writeInt(s.dim());
        d.writeLong(s.denseVersion());
        Map<String, String> settings = new TreeMap<>(s.settings());
        d.writeShort(settings.size());
        for (Map.Entry<String, String> e : settings.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeUTF(e.getValue());
        }
        d.writeUTF(s.topic());
        Map<Integer, Long> offsets = new TreeMap<>(s.offsets());
        d.writeShort(offsets.size());
        for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
            d.writeInt(e.getKey());
            d.writeLong(e.getValue());
        }
        return b.toByteArray();
    }

    private static byte[] rows(ModelSnapshot s) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(s.rows().size());
        for (ModelSnapshot.Row r : s.rows()) {
            if (r.values().length != s.dim()) {
                throw new IllegalArgumentException("row " + r.key() + " has " + r.values().length + " values, D = " + s.dim());
            }
            d.writeLong(r.key());
            d.writeInt(r.mask());
            d.writeByte(r.bits());
            d.writeFloat(r.linear());
            for (float f : r.values()) {
                d.writeFloat(f);
            }
        }
        return b.toByteArray();
    }

    private static byte[] shared(ModelSnapshot.Shared sh) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeLong(sh.version());
        d.writeInt(sh.tableRows());
        d.writeByte(sh.chunkWidths().length);
        for (int w : sh.chunkWidths()) {
            d.writeShort(w);
        }
        d.writeShort(sh.gates().length);
        for (float g : sh.gates()) {
            d.writeFloat(g);
        }
        for (float v : sh.values()) {
            d.writeFloat(v);
        }
        return b.toByteArray();
    }

    /**
     * Reads a snapshot.
     *
     * @throws SnapshotException naming the file and what is wrong with it
     */
    public static ModelSnapshot read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SnapshotException(file, "cannot be read: " + e);
        }
        return decode(file, bytes);
    }

    /** Decodes the bytes of {@code file}. */
    static ModelSnapshot decode(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new SnapshotException(file, "is not an Inflight snapshot (it does not start with "
                        + new String(MAGIC, StandardCharsets.US_ASCII) + ")");
            }
            int version = b.getShort() & 0xFFFF;
            if (version != VERSION) {
                throw new SnapshotException(file, "has format version " + version + "; this build reads version " + VERSION);
            }
            ByteBuffer header = slice(b, file, "header");
            List<ByteBuffer> sections = new ArrayList<>(List.of(ByteBuffer.allocate(0), ByteBuffer.allocate(0)));
            sections.add(null);
            for (int tag = b.get(); tag != 0; tag = b.get()) {
                if (tag < ROWS || tag > SHARED) {
                    throw new SnapshotException(file, "has an unknown section " + tag + " at byte " + (b.position() - 1));
                }
                sections.set(tag - 1, slice(b, file, "section " + tag));
            }
            int end = b.position();
            int stored = b.getInt();
            if (b.hasRemaining()) {
                throw new SnapshotException(file, "has " + b.remaining() + " bytes after its checksum");
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, end);
            if ((int) crc.getValue() != stored) {
                throw new SnapshotException(file, String.format("is corrupted: its CRC32C is %08x, the file says %08x",
                        (int) crc.getValue(), stored));
            }
            return SnapshotSections.parse(header, sections.get(0), sections.get(1), sections.get(2));
        } catch (BufferUnderflowException e) {
            throw new SnapshotException(file, "is truncated: it ends at byte " + bytes.length + " before its end mark and checksum");
        }
    }

    private static ByteBuffer slice(ByteBuffer b, Path file, String what) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new SnapshotException(file, "is truncated: its " + what + " at byte " + (b.position() - 4) + " says "
                    + Integer.toUnsignedString(n) + " bytes, " + b.remaining() + " are left");
        }
        ByteBuffer s = b.slice(b.position(), n);
        b.position(b.position() + n);
        return s;
    }

    /** Reads a {@code str}. */
    static String str(ByteBuffer b) {
        byte[] s = new byte[b.getShort() & 0xFFFF];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** Settings in the header's order. */
    static Map<String, String> settings(ByteBuffer b) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = b.getShort() & 0xFFFF; i > 0; i--) {
            out.put(str(b), str(b));
        }
        return out;
    }
}
