package io.inflight.ops.bench;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingRows;
import io.inflight.store.RowSink;
import io.inflight.store.SharedRows;
import io.inflight.store.StoreConfig;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * An {@link EmbeddingRows} whose row reads lag its row updates by a window of batches: what a
 * pipelined sharded trainer sees when batch b's rows are pulled before the pushes of the batches
 * still in flight have landed. Each {@link #scatter} is queued (its arguments copied, tagged with
 * its {@code step}, which must be the global batch index); {@link #begin}{@code (b)} then applies,
 * in order, the queued scatters of batches {@code <= b - window} before batch b's gather, and
 * {@link #flush} applies the rest. Window 1 applies every earlier batch's update before the next
 * gather: exactly the table without this decorator.
 *
 * <p>Everything but the two scatters and the gathers is passed to the wrapped rows as it is: reads
 * outside the training step ({@link #read}, {@link #snapshot}, the policy operations) see only the
 * updates applied so far, so this is for runs without policies (mode {@code none}). Also counts
 * the distinct keys gathered per batch. Called from one thread; not thread-safe.
 */
public final class StaleRows implements EmbeddingRows {

    /** One queued scatter: a copy of its arguments. */
    private static final class Pending {
        long step;
        long[] keys = new long[0];
        int[] accesses;
        int count;
        float[] grads = new float[0];
        float[] initial;
    }

    private final EmbeddingRows rows;
    private final int window;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ArrayDeque<Pending> spare = new ArrayDeque<>();
    private long batch = -1;
    private long gathers;
    private long gatheredKeys;

    /**
     * @param rows   the table the updates land in
     * @param window W >= 1: batch b reads the updates of batches {@code <= b - W} only
     * @throws IllegalArgumentException when {@code window < 1}
     */
    public StaleRows(EmbeddingRows rows, int window) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1 batch, got " + window);
        }
        this.rows = rows;
        this.window = window;
    }

    /**
     * Starts global batch {@code b} (0, 1, 2, ... in order): applies the queued scatters of batches
     * {@code <= b - window}, oldest first.
     *
     * @throws IllegalArgumentException when {@code b} does not follow the previous batch
     */
    public void begin(long b) {
        if (b <= batch) {
            throw new IllegalArgumentException("batch " + b + " does not follow batch " + batch);
        }
        batch = b;
        applyThrough(b - window);
    }

    /** Applies every queued scatter (at the end of a run). */
    public void flush() {
        applyThrough(Long.MAX_VALUE);
    }

    /** Scatters queued, not yet applied. */
    public int pending() {
        return queue.size();
    }

    /** Mean distinct keys per gather (per batch), 0 before the first. */
    public double meanKeysPerBatch() {
        return gathers == 0 ? 0 : (double) gatheredKeys / gathers;
    }

    /** Gathers so far (one per trained batch). */
    public long gathers() {
        return gathers;
    }

    private void applyThrough(long last) {
        while (!queue.isEmpty() && queue.peekFirst().step <= last) {
            Pending p = queue.pollFirst();
            rows.scatter(p.keys, p.accesses, p.count, p.grads, p.step, p.initial);
            spare.addLast(p);
        }
    }

    private void enqueue(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial) {
        if (!queue.isEmpty() && step < queue.peekLast().step) {
            throw new IllegalArgumentException("scatter of batch " + step + " after one of batch " + queue.peekLast().step);
        }
        Pending p = spare.isEmpty() ? new Pending() : spare.pollFirst();
        int floats = count * rows.stride();
        p.step = step;
        p.count = count;
        if (p.keys.length < count) {
            p.keys = new long[count * 2];
        }
        System.arraycopy(keys, 0, p.keys, 0, count);
        p.accesses = accesses == null ? null : Arrays.copyOf(accesses, count);
        if (p.grads.length < floats) {
            p.grads = new float[floats * 2];
        }
        System.arraycopy(grads, 0, p.grads, 0, floats);
        p.initial = initial == null ? null : Arrays.copyOf(initial, floats);
        queue.addLast(p);
    }

    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step) {
        enqueue(keys, accesses, count, grads, step, null);
    }

    @Override
    public void scatter(long[] keys, int[] accesses, int count, float[] grads, long step, float[] initial) {
        enqueue(keys, accesses, count, grads, step, initial);
    }

    @Override
    public void gather(long[] keys, int count, float[] out) {
        gathers++;
        gatheredKeys += count;
        rows.gather(keys, count, out);
    }

    @Override
    public void gather(long[] keys, int count, float[] out, int[] masks, long[] accesses) {
        gathers++;
        gatheredKeys += count;
        rows.gather(keys, count, out, masks, accesses);
    }

    @Override
    public String name() {
        return rows.name();
    }

    @Override
    public StoreConfig config() {
        return rows.config();
    }

    @Override
    public int dim() {
        return rows.dim();
    }

    @Override
    public int stride() {
        return rows.stride();
    }

    @Override
    public int[] chunkWidths() {
        return rows.chunkWidths();
    }

    @Override
    public long rowCount() {
        return rows.rowCount();
    }

    @Override
    public long storedBytes() {
        return rows.storedBytes();
    }

    @Override
    public long rowBytes(int mask, Precision[] precisions) {
        return rows.rowBytes(mask, precisions);
    }

    @Override
    public void newRowMask(int mask) {
        rows.newRowMask(mask);
    }

    @Override
    public void readNew(long key, float[] out, int o) {
        rows.readNew(key, out, o);
    }

    @Override
    public void scatterShared(long key, float[] grads, int off) {
        rows.scatterShared(key, grads, off);
    }

    @Override
    public boolean read(long key, float[] dst, int off) {
        return rows.read(key, dst, off);
    }

    @Override
    public void attachShared(SharedRows shared) {
        rows.attachShared(shared);
    }

    @Override
    public SharedRows shared() {
        return rows.shared();
    }

    @Override
    public void forEachRow(RowVisitor visitor) {
        rows.forEachRow(visitor);
    }

    @Override
    public int sampleUtilities(int chunk, int m, long seed, float[] out) {
        return rows.sampleUtilities(chunk, m, seed, out);
    }

    @Override
    public void pruneChunk(long key, int chunk) {
        rows.pruneChunk(key, chunk);
    }

    @Override
    public void allocateChunk(long key, int chunk, ChunkInit init) {
        rows.allocateChunk(key, chunk, init);
    }

    @Override
    public void allocateChunkFromShared(long key, int chunk, int field, ChunkInit fallback) {
        rows.allocateChunkFromShared(key, chunk, field, fallback);
    }

    @Override
    public void setPrecision(long key, int chunk, Precision precision) {
        rows.setPrecision(key, chunk, precision);
    }

    @Override
    public void evictRow(long key) {
        rows.evictRow(key);
    }

    @Override
    public long sharedRows() {
        return rows.sharedRows();
    }

    @Override
    public double takeSharedServedShare() {
        return rows.takeSharedServedShare();
    }

    @Override
    public void resizeShared(long h) {
        rows.resizeShared(h);
    }

    @Override
    public int changedCount() {
        return rows.changedCount();
    }

    @Override
    public void forEachChanged(RowSink sink) {
        rows.forEachChanged(sink);
    }

    @Override
    public void clearChanged() {
        rows.clearChanged();
    }

    @Override
    public void snapshot(RowSink sink) {
        rows.snapshot(sink);
    }

    @Override
    public byte[] digest() {
        return rows.digest();
    }

    @Override
    public byte[] encodedRow(long key) {
        return rows.encodedRow(key);
    }

    @Override
    public void putEncodedRow(long key, byte[] bytes) {
        rows.putEncodedRow(key, bytes);
    }
}
