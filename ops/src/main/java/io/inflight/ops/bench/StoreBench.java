package io.inflight.ops.bench;

import io.inflight.policies.EmbeddingTable.ChunkInit;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.CounterRng;
import io.inflight.store.EmbeddingStore;
import io.inflight.store.Quantizer;
import io.inflight.store.RowSizes;
import io.inflight.store.StoreConfig;
import io.inflight.store.rocksdb.RocksColdTier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Figures of the embedding store: gather+scatter throughput for a mini-batch of 256 events × 26
 * fields at D = 16, 32, 64 and FP32/INT8/INT4 with every row hot and with 10% of lookups going to a
 * RocksDB cold tier; bytes per row against the fp32 row and metadata against FIITED's 3K/D; hot-tier
 * capacity with heap and off-heap bytes per row; per-row versus per-chunk quantization scales.
 * {@link #run} returns a {@link Result} that prints as a table and as one JSON line.
 */
public final class StoreBench {

    public static final int EVENTS = 256;
    public static final int FIELDS = 26;
    public static final int BATCH = EVENTS * FIELDS;

    private StoreBench() {
    }

    /** Settings: timed batches per case, capacity rows, where RocksDB lives. */
    public record Options(int batches, long[] capacityRows, Path workDir) {
        public static Options defaults(Path workDir) {
            return new Options(60, new long[] {1_000_000, 10_000_000}, workDir);
        }
    }

    /** One throughput case. */
    public record Throughput(int dim, Precision precision, String tier, double keysPerSecond, double coldReadFraction,
                             long valueBytesPerRow, long metadataBytesPerRow) {
    }

    /** One capacity case (hot tier only, D = 32 in 4 chunks, INT8). */
    public record Capacity(long rows, long heapBytes, long offHeapBytes, double bytesPerRow, double modelBytesPerRow) {
    }

    /** RMS reconstruction error with one scale per row versus one per chunk. */
    public record ScaleError(Precision precision, String rows, double perRowRms, double perChunkRms) {
    }

    public record Result(List<Throughput> throughput, List<Capacity> capacity, List<ScaleError> scales) {

        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "gather+scatter, batch %d x %d = %d keys, K = 4 equal chunks%n", EVENTS, FIELDS, BATCH));
            b.append(String.format(Locale.ROOT, "%4s %5s %-12s %14s %8s %8s %8s %8s %9s %9s%n", "D", "prec", "tier", "keys/s",
                    "cold%", "values", "meta", "row B", "vs fp32", "meta/fp32"));
            for (Throughput t : throughput) {
                long fp32 = 4L * t.dim();
                long row = t.valueBytesPerRow() + t.metadataBytesPerRow();
                b.append(String.format(Locale.ROOT, "%4d %5s %-12s %,14.0f %7.1f%% %8d %8d %8d %8.2fx %9.3f%n", t.dim(),
                        t.precision(), t.tier(), t.keysPerSecond(), 100 * t.coldReadFraction(), t.valueBytesPerRow(),
                        t.metadataBytesPerRow(), row, (double) fp32 / row, (double) t.metadataBytesPerRow() / fp32));
            }
            b.append("FIITED's stated training overhead 3K/D with K = 4: D=16 0.750, D=32 0.375, D=64 0.188\n");
            b.append(String.format(Locale.ROOT, "%nhot-tier capacity (D = 32, K = 4, INT8)%n%12s %14s %12s %12s %12s%n", "rows",
                    "heap bytes", "off-heap", "bytes/row", "model B/row"));
            for (Capacity c : capacity) {
                b.append(String.format(Locale.ROOT, "%,12d %,14d %,12d %12.1f %12.1f%n", c.rows(), c.heapBytes(),
                        c.offHeapBytes(), c.bytesPerRow(), c.modelBytesPerRow()));
            }
            b.append(String.format(Locale.ROOT, "%nquantization scale granularity (D = 32, K = 4), RMS error%n%5s %-18s %12s %12s%n",
                    "prec", "rows", "per row", "per chunk"));
            for (ScaleError s : scales) {
                b.append(String.format(Locale.ROOT, "%5s %-18s %12.3e %12.3e%n", s.precision(), s.rows(), s.perRowRms(), s.perChunkRms()));
            }
            return b.toString();
        }

        public String json() {
            StringBuilder b = new StringBuilder("{\"bench\":\"store\",\"batch_keys\":").append(BATCH).append(",\"throughput\":[");
            for (int i = 0; i < throughput.size(); i++) {
                Throughput t = throughput.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"dim\":%d,\"precision\":\"%s\",\"tier\":\"%s\",\"keys_per_second\":%.0f,\"cold_read_fraction\":%.4f,"
                                + "\"value_bytes_per_row\":%d,\"metadata_bytes_per_row\":%d,\"fp32_row_bytes\":%d}",
                        t.dim(), t.precision(), t.tier(), t.keysPerSecond(), t.coldReadFraction(), t.valueBytesPerRow(),
                        t.metadataBytesPerRow(), 4 * t.dim()));
            }
            b.append("],\"capacity\":[");
            for (int i = 0; i < capacity.size(); i++) {
                Capacity c = capacity.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"rows\":%d,\"heap_bytes\":%d,\"off_heap_bytes\":%d,\"bytes_per_row\":%.1f,\"model_bytes_per_row\":%.1f}",
                        c.rows(), c.heapBytes(), c.offHeapBytes(), c.bytesPerRow(), c.modelBytesPerRow()));
            }
            b.append("],\"scale_error\":[");
            for (int i = 0; i < scales.size(); i++) {
                ScaleError s = scales.get(i);
                b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"precision\":\"%s\",\"rows\":\"%s\",\"per_row_rms\":%.4e,\"per_chunk_rms\":%.4e}",
                        s.precision(), s.rows(), s.perRowRms(), s.perChunkRms()));
            }
            return b.append("]}").toString();
        }
    }

    public static Result run(Options o) {
        List<Throughput> tp = new ArrayList<>();
        for (int dim : new int[] {16, 32, 64}) {
            for (Precision p : new Precision[] {Precision.FP32, Precision.INT8, Precision.INT4}) {
                tp.add(throughput(dim, p, false, o));
                tp.add(throughput(dim, p, true, o));
            }
        }
        List<Capacity> cap = new ArrayList<>();
        for (long rows : o.capacityRows()) {
            cap.add(capacity(rows));
        }
        List<ScaleError> scales = new ArrayList<>();
        for (Precision p : new Precision[] {Precision.INT8, Precision.INT4, Precision.INT2}) {
            scales.add(scaleError(p, false));
            scales.add(scaleError(p, true));
        }
        return new Result(tp, cap, scales);
    }

    private static StoreConfig config(int dim, Precision p, int hotRows) {
        return StoreConfig.defaults(ChunkLayout.uniform(4, dim / 4)).withPrecision(p).withHotCapacity(hotRows)
                .withInit(ChunkInit.RANDOM, 0.05f).withRowAdagrad(true); // the trainer's default
    }

    private static Throughput throughput(int dim, Precision p, boolean withCold, Options o) {
        int hotSet = 50_000;
        int coldSet = 200_000;
        StoreConfig cfg = config(dim, p, withCold ? 100_000 : hotSet + 1);
        Path db = o.workDir().resolve("rocks-" + dim + "-" + p + (withCold ? "-cold" : "-hot"));
        deleteRecursively(db);
        RocksColdTier tier = withCold ? RocksColdTier.open("bench", db) : null;
        try {
            EmbeddingStore s = new EmbeddingStore("bench", cfg, tier);
            long[] keys = new long[BATCH];
            float[] buf = new float[BATCH * s.stride()];
            float[] grads = new float[BATCH * s.stride()];
            for (int i = 0; i < grads.length; i++) {
                grads[i] = (CounterRng.unit(CounterRng.bits(3, i, 0)) - 0.5f) * 0.01f;
            }
            // Populate: the hot set, then (two-tier case) the cold set, flushed to RocksDB.
            populate(s, 0, hotSet, keys, grads);
            if (withCold) {
                populate(s, 1_000_000, coldSet, keys, grads);
                s.flush();
                populate(s, 0, hotSet, keys, grads); // bring the hot set back in
                s.flush();
            }
            long step = 10;
            long coldNext = 0; // each cold lookup is a different row, so every one misses the hot tier
            long nanos = 0;
            long coldBefore = 0;
            int warm = Math.max(5, o.batches() / 5);
            for (int b = 0; b < warm + o.batches(); b++) {
                for (int i = 0; i < BATCH; i++) {
                    long r = CounterRng.bits(9, b, i);
                    boolean cold = withCold && Long.remainderUnsigned(r >>> 32, 10) == 0; // 10% of lookups
                    keys[i] = cold ? 1_000_000 + (coldNext++ % coldSet) : (r >>> 1) % hotSet;
                }
                if (b == warm) {
                    coldBefore = s.coldReads();
                }
                long t0 = System.nanoTime();
                s.gather(keys, BATCH, buf);
                s.scatter(keys, null, BATCH, grads, step++);
                if (withCold && b % 10 == 9) {
                    s.flush(); // a commit every 10 batches writes the dirty rows
                }
                long t1 = System.nanoTime();
                if (b >= warm) {
                    nanos += t1 - t0;
                }
            }
            // misses of the gathers (each scatter follows its gather and finds the row hot)
            double coldFraction = (double) (s.coldReads() - coldBefore) / ((double) BATCH * o.batches());
            Precision[] ps = {p, p, p, p};
            long values = RowSizes.valueBytes(cfg.layout(), cfg.layout().fullMask(), ps);
            long meta = RowSizes.metadataBytes(cfg.layout(), cfg.layout().fullMask(), ps, cfg.rowAdagrad());
            return new Throughput(dim, p, withCold ? "10%-rocksdb" : "hot", (double) BATCH * o.batches() / (nanos / 1e9),
                    coldFraction, values, meta);
        } finally {
            if (tier != null) {
                tier.close();
            }
            deleteRecursively(db);
        }
    }

    private static void populate(EmbeddingStore s, long first, int n, long[] keys, float[] grads) {
        for (int from = 0; from < n; from += BATCH) {
            int c = Math.min(BATCH, n - from);
            for (int i = 0; i < c; i++) {
                keys[i] = first + from + i;
            }
            s.scatter(keys, null, c, grads, 1);
        }
    }

    private static Capacity capacity(long rows) {
        long before = usedHeap();
        StoreConfig cfg = config(32, Precision.INT8, (int) rows);
        EmbeddingStore s = EmbeddingStore.inMemory("capacity", cfg);
        long[] keys = new long[BATCH];
        float[] grads = new float[BATCH * s.stride()];
        Arrays.fill(grads, 0.001f);
        for (long from = 0; from < rows; from += BATCH) {
            int c = (int) Math.min(BATCH, rows - from);
            for (int i = 0; i < c; i++) {
                keys[i] = CounterRng.bits(17, from + i, 0); // spread keys
            }
            s.scatter(keys, null, c, grads, 1);
        }
        long after = usedHeap();
        long offHeap = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            offHeap += pool.getMemoryUsed();
        }
        long model = s.storedBytes();
        if (s.rowCount() != rows) {
            throw new IllegalStateException("capacity run stored " + s.rowCount() + " of " + rows + " rows");
        }
        Capacity c = new Capacity(rows, after - before, offHeap, (double) (after - before + offHeap) / rows, (double) model / rows);
        s = null;
        return c;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    /** Gaussian rows, D = 32 in 4 chunks; {@code decaying}: chunk c has std 0.1 / 2^c (later chunks smaller). */
    private static ScaleError scaleError(Precision p, boolean decaying) {
        int d = 32;
        int w = 8;
        float[] x = new float[d];
        float[] back = new float[d];
        byte[] slot = new byte[Quantizer.slotBytes(d, Precision.FP32)];
        double errRow = 0;
        double errChunk = 0;
        SplittableRandom rnd = new SplittableRandom(5);
        int rows = 20_000;
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < d; i++) {
                double std = decaying ? 0.1 / (1 << (i / w)) : 0.1;
                x[i] = (float) (rnd.nextGaussian() * std);
            }
            float scale = Quantizer.encode(x, 0, d, p, slot, 0, r, 0);
            Quantizer.decode(slot, 0, d, p, scale, back, 0);
            for (int i = 0; i < d; i++) {
                errRow += (back[i] - x[i]) * (double) (back[i] - x[i]);
            }
            for (int c = 0; c < 4; c++) {
                float sc = Quantizer.encode(x, c * w, w, p, slot, 0, r, c * w);
                Quantizer.decode(slot, 0, w, p, sc, back, c * w);
            }
            for (int i = 0; i < d; i++) {
                errChunk += (back[i] - x[i]) * (double) (back[i] - x[i]);
            }
        }
        return new ScaleError(p, decaying ? "chunk std 0.1/2^c" : "equal std 0.1", Math.sqrt(errRow / (rows * d)),
                Math.sqrt(errChunk / (rows * d)));
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }

    /** {@code java ... StoreBench [workDir] [batches] [capacityRows,...]}: prints the table and the JSON line. */
    public static void main(String[] args) {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/store-bench");
        Options o = Options.defaults(dir);
        if (args.length > 1) {
            o = new Options(Integer.parseInt(args[1]), o.capacityRows(), dir);
        }
        if (args.length > 2) {
            o = new Options(o.batches(), Stream.of(args[2].split(",")).mapToLong(Long::parseLong).toArray(), dir);
        }
        Result r = run(o);
        System.out.print(r.table());
        System.out.println(r.json());
    }
}
