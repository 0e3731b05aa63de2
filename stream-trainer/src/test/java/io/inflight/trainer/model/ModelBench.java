package io.inflight.trainer.model;

import io.inflight.policies.util.SplitMix64;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

/**
 * Forward+backward throughput of the batch models at production shape (26 fields, D 16, hidden
 * 400-400, Adam), in events per second, median of several timed runs after a warm-up, by wall
 * clock and by the thread's CPU time (steadier when other processes share the cores). A benchmark,
 * not a test (surefire runs only *Test classes): run it by hand with one BLAS thread, from
 * stream-trainer after {@code mvn -q -o -pl stream-trainer test-compile} and
 * {@code mvn -q -o -pl stream-trainer dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt}:
 * <pre>
 * OMP_NUM_THREADS=1 java -Xmx2g -Dorg.bytedeco.javacpp.cachedir=$HOME/.javacpp/cache \
 *   -cp target/classes:target/test-classes:$(cat /tmp/cp.txt) io.inflight.trainer.model.ModelBench \
 *   [models, default lr,fm,dnn,deepfm,dcn] [batches, default 256,1024] [dcn cross layers, default 2]
 * </pre>
 */
public final class ModelBench {

    private static final int FIELDS = 26;
    private static final int DIM = 16;
    private static final int RUNS = 7;
    private static final int EVENTS_PER_RUN = 16_384;

    private ModelBench() {
    }

    public static void main(String[] args) {
        List<String> models = List.of((args.length > 0 ? args[0] : "lr,fm,dnn,deepfm,dcn").split(","));
        int[] batches = Arrays.stream((args.length > 1 ? args[1] : "256,1024").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int crossLayers = args.length > 2 ? Integer.parseInt(args[2]) : DeepModelSpec.DEFAULT_CROSS_LAYERS;
        for (int b : batches) {
            for (String type : models) {
                try (BatchModel m = build(type, b, crossLayers)) {
                    double[][] rates = measure(m, b);
                    Arrays.sort(rates[0]);
                    Arrays.sort(rates[1]);
                    System.out.printf("%-7s batch %5d: %,9.0f events/s wall (min %,.0f, max %,.0f), %,9.0f events/s "
                                    + "cpu (median of %d runs)%n", type, b, rates[0][RUNS / 2], rates[0][0],
                            rates[0][RUNS - 1], rates[1][RUNS / 2], RUNS);
                }
            }
        }
    }

    private static BatchModel build(String type, int b, int crossLayers) {
        return switch (type) {
            case "lr" -> new PlainFmBatchModel(FIELDS, DIM, b, false);
            case "fm" -> new PlainFmBatchModel(FIELDS, DIM, b, true);
            default -> new DeepBatchModel(new DeepModelSpec(type, FIELDS, DIM, 0, b, List.of(400, 400), "relu",
                    crossLayers, "adam", 1e-3, 1e-6, 42));
        };
    }

    /** Events/s per run: [0] by wall clock, [1] by thread CPU time. */
    private static double[][] measure(BatchModel m, int b) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        float[] emb = new float[b * FIELDS * DIM];
        float[] lin = new float[b * FIELDS];
        float[] labels = new float[b];
        for (int i = 0; i < emb.length; i++) {
            emb[i] = (float) (0.05 * SplitMix64.gaussian(1, 2, i));
        }
        for (int e = 0; e < b; e++) {
            labels[e] = SplitMix64.uniform(1, 3, e) < 0.2 ? 1f : 0f;
        }
        float[] logits = new float[b];
        float[] embGrad = new float[emb.length];
        float[] linGrad = new float[lin.length];
        float[] num = new float[0];
        int steps = Math.max(1, EVENTS_PER_RUN / b);
        for (int w = 0; w < 2 * steps; w++) {
            m.forward(emb, lin, num, b, logits);
            m.backward(labels, b, embGrad, linGrad);
        }
        double[][] rates = new double[2][RUNS];
        for (int r = 0; r < RUNS; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            for (int s = 0; s < steps; s++) {
                m.forward(emb, lin, num, b, logits);
                if (!m.backward(labels, b, embGrad, linGrad)) {
                    throw new IllegalStateException(m.name() + " refused a step");
                }
            }
            rates[0][r] = (double) steps * b / ((System.nanoTime() - t0) / 1e9);
            rates[1][r] = (double) steps * b / ((threads.getCurrentThreadCpuTime() - c0) / 1e9);
        }
        return rates;
    }
}
