package io.inflight.trainer.model;

import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A row-major float32 matrix in native memory, allocated once at its full size, that BLAS
 * multiplies into; Java code reads and writes it only in bulk ({@link #put}/{@link #get}, a
 * memcpy through a direct {@link FloatBuffer}), because element access through ND4J costs far
 * more than the arithmetic. {@link #rows(int)} is a cached view of the first rows, so a short
 * batch multiplies only the rows it has. Owns its native memory: {@link #close()} frees it.
 * Not thread-safe.
 */
final class NativeMatrix implements AutoCloseable {

    private final int rows;
    private final int cols;
    private final INDArray base;
    private final FloatBuffer buffer;
    private INDArray view;
    private int viewRows = -1;

    static {
        Nd4jThreads.pin();
    }

    NativeMatrix(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + "x" + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.base = Nd4j.create(DataType.FLOAT, new long[] {rows, cols}, 'c');
        this.buffer = base.data().asNio().asFloatBuffer();
    }

    int rows() {
        return rows;
    }

    int cols() {
        return cols;
    }

    /** The whole matrix. */
    INDArray all() {
        return base;
    }

    /** A view of the first {@code r} rows (the matrix itself when {@code r} is all of them). */
    INDArray rows(int r) {
        if (r == rows) {
            return base;
        }
        if (r < 1 || r > rows) {
            throw new IllegalArgumentException("row count must be in [1, " + rows + "], got " + r);
        }
        if (r != viewRows) {
            view = base.get(NDArrayIndex.interval(0, r), NDArrayIndex.all());
            viewRows = r;
        }
        return view;
    }

    /** Copies {@code n} floats from {@code src[off..]} to the start of the matrix. */
    void put(float[] src, int off, int n) {
        buffer.put(0, src, off, n);
    }

    /** Copies the first {@code n} floats of the matrix to {@code dst[off..]}. */
    void get(float[] dst, int off, int n) {
        buffer.get(0, dst, off, n);
    }

    /** {@code c = a·b} (each optionally transposed) by BLAS sgemm, overwriting {@code c}. */
    static void gemm(INDArray a, boolean transposeA, INDArray b, boolean transposeB, INDArray c) {
        Nd4j.gemm(a, b, c, transposeA, transposeB, 1.0, 0.0);
    }

    @Override
    public void close() {
        view = null;
        if (!base.wasClosed()) {
            base.close();
        }
    }
}
