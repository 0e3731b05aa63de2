package io.inflight.store;

import java.util.Arrays;

/**
 * How a row of at most {@code D} dimensions is split into {@code K} chunks: chunk {@code c} covers
 * dimensions {@code [offset(c), offset(c) + width(c))}. FIITED uses equal widths (8,8,8,8); ESAPN-like
 * ladders use doubling widths (2,2,4,8,16). Immutable.
 */
public final class ChunkLayout {

    /** At most 32 chunks: the row mask is an {@code int} with one bit per chunk. */
    public static final int MAX_CHUNKS = 32;
    /** Upper bound on D (the counter-based generator reserves 12 bits for the dimension index). */
    public static final int MAX_DIM = 4096;

    private final int[] widths;
    private final int[] offsets;
    private final int dim;
    /** Chunk -> index into {@link #distinctWidths} (chunks of equal width share value slabs). */
    private final int[] widthClass;
    private final int[] distinctWidths;

    private ChunkLayout(int[] widths) {
        if (widths.length < 1 || widths.length > MAX_CHUNKS) {
            throw new IllegalArgumentException("chunk count K must be in [1, " + MAX_CHUNKS + "], got " + widths.length);
        }
        this.widths = widths.clone();
        this.offsets = new int[widths.length];
        int d = 0;
        for (int c = 0; c < widths.length; c++) {
            if (widths[c] < 1) {
                throw new IllegalArgumentException("chunk width must be >= 1, got " + widths[c] + " for chunk " + c);
            }
            offsets[c] = d;
            d += widths[c];
        }
        if (d > MAX_DIM) {
            throw new IllegalArgumentException("D (sum of chunk widths) must be <= " + MAX_DIM + ", got " + d);
        }
        this.dim = d;
        int[] distinct = Arrays.stream(widths).distinct().sorted().toArray();
        this.distinctWidths = distinct;
        this.widthClass = new int[widths.length];
        for (int c = 0; c < widths.length; c++) {
            widthClass[c] = Arrays.binarySearch(distinct, widths[c]);
        }
    }

    /** A layout with the given chunk widths in dimension order. */
    public static ChunkLayout of(int... widths) {
        return new ChunkLayout(widths);
    }

    /** {@code k} chunks of {@code width} dimensions each. */
    public static ChunkLayout uniform(int k, int width) {
        int[] w = new int[k];
        Arrays.fill(w, width);
        return new ChunkLayout(w);
    }

    /** Parses "8,8,8,8". */
    public static ChunkLayout parse(String widths) {
        String[] parts = widths.split(",");
        int[] w = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                w[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("chunk widths must be comma-separated integers, got '" + widths + "'", e);
            }
        }
        return new ChunkLayout(w);
    }

    public int chunks() {
        return widths.length;
    }

    public int dim() {
        return dim;
    }

    public int width(int chunk) {
        return widths[chunk];
    }

    public int offset(int chunk) {
        return offsets[chunk];
    }

    /** A copy of the widths. */
    public int[] widths() {
        return widths.clone();
    }

    /** Mask with every chunk stored. */
    public int fullMask() {
        return widths.length == 32 ? -1 : (1 << widths.length) - 1;
    }

    int widthClass(int chunk) {
        return widthClass[chunk];
    }

    int widthClasses() {
        return distinctWidths.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkLayout l && Arrays.equals(widths, l.widths);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(widths);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < widths.length; c++) {
            sb.append(c == 0 ? "" : ",").append(widths[c]);
        }
        return sb.toString();
    }
}
