package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inflight.policies.util.SplitMix64;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NativeMatrixTest {

    @Test
    void shouldMultiplyEveryTransposeCombinationIntoRowViews() {
        int cap = 5;
        int b = 3;
        int n = 4;
        int m = 6;
        float[] x = fill(cap * n, 1);
        float[] w = fill(n * m, 2);
        float[] d = fill(cap * m, 3);
        try (NativeMatrix xm = new NativeMatrix(cap, n); NativeMatrix wm = new NativeMatrix(n, m);
             NativeMatrix dm = new NativeMatrix(cap, m); NativeMatrix y = new NativeMatrix(cap, m);
             NativeMatrix gw = new NativeMatrix(n, m); NativeMatrix dx = new NativeMatrix(cap, n)) {
            xm.put(x, 0, cap * n);
            wm.put(w, 0, n * m);
            dm.put(d, 0, cap * m);
            float[] sentinel = new float[cap * m];
            Arrays.fill(sentinel, 7f);
            y.put(sentinel, 0, cap * m);

            NativeMatrix.gemm(xm.rows(b), false, wm.all(), false, y.rows(b));
            NativeMatrix.gemm(xm.rows(b), true, dm.rows(b), false, gw.all());
            NativeMatrix.gemm(dm.rows(b), false, wm.all(), true, dx.rows(b));

            float[] yOut = new float[cap * m];
            float[] gwOut = new float[n * m];
            float[] dxOut = new float[b * n];
            y.get(yOut, 0, cap * m);
            gw.get(gwOut, 0, n * m);
            dx.get(dxOut, 0, b * n);
            for (int e = 0; e < b; e++) {
                for (int j = 0; j < m; j++) {
                    double s = 0;
                    for (int k = 0; k < n; k++) {
                        s += x[e * n + k] * w[k * m + j];
                    }
                    assertThat(yOut[e * m + j]).isCloseTo((float) s, within(1e-5f));
                }
                for (int k = 0; k < n; k++) {
                    double s = 0;
                    for (int j = 0; j < m; j++) {
                        s += d[e * m + j] * w[k * m + j];
                    }
                    assertThat(dxOut[e * n + k]).isCloseTo((float) s, within(1e-5f));
                }
            }
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < m; j++) {
                    double s = 0;
                    for (int e = 0; e < b; e++) {
                        s += x[e * n + k] * d[e * m + j];
                    }
                    assertThat(gwOut[k * m + j]).isCloseTo((float) s, within(1e-5f));
                }
            }
            // rows beyond the view are untouched
            for (int i = b * m; i < cap * m; i++) {
                assertThat(yOut[i]).isEqualTo(7f);
            }
        }
    }

    /**
     * The dense step skips reading a weight gradient whose factors bound it as finite
     * ({@link DenseParameters#productFinite}): sound only if sgemm never reads what its output held,
     * e.g. the NaN of a refused step.
     */
    @Test
    void shouldOverwriteANonFiniteOutputWithTheProduct() {
        int cap = 4;
        int n = 3;
        int m = 5;
        float[] x = fill(cap * n, 4);
        float[] d = fill(cap * m, 5);
        try (NativeMatrix xm = new NativeMatrix(cap, n); NativeMatrix dm = new NativeMatrix(cap, m);
             NativeMatrix gw = new NativeMatrix(n, m)) {
            xm.put(x, 0, cap * n);
            dm.put(d, 0, cap * m);
            float[] poison = new float[n * m];
            Arrays.fill(poison, Float.NaN);
            poison[1] = Float.POSITIVE_INFINITY;
            gw.put(poison, 0, n * m);
            NativeMatrix.gemm(xm.rows(2), true, dm.rows(2), false, gw.all());
            float[] out = new float[n * m];
            gw.get(out, 0, n * m);
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < m; j++) {
                    double s = x[k] * d[j] + x[n + k] * d[m + j];
                    assertThat(out[k * m + j]).as("dW[%d][%d]", k, j).isCloseTo((float) s, within(1e-5f));
                }
            }
        }
    }

    private static float[] fill(int n, long key) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) SplitMix64.gaussian(9, key, i);
        }
        return a;
    }
}
