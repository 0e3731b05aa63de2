package io.inflight.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.trainer.config.BatchSettings;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The deep models train bit for bit the same wherever they run: in fresh JVMs started without
 * {@code OMP_NUM_THREADS} (the launcher sets it; a library user does not), on a thread other than
 * the one that created the model, several times over. Each JVM runs {@link #main}, which trains a
 * DeepFM with a 400-400 MLP (big enough for BLAS to split work over threads if it may) and prints
 * the SHA-256 of its dense parameters.
 */
class Nd4jDeterminismTest {

    /** Trains the probe model on {@code steps} seeded batches and returns the hash of its dense state. */
    static String trainAndHash(int steps) throws Exception {
        BatchSettings s = new BatchSettings("deepfm", List.of("a", "b", "c", "d", "e", "f", "g", "h"), 16, 256,
                List.of(400, 400), "relu", "adam", 1e-3, 0.05, 0, 0.01, 7, 0);
        BatchModel model = BatchModels.create(s);
        try {
            int b = s.batchSize();
            int f = s.slots();
            int d = s.dim();
            float[] emb = new float[b * f * d];
            float[] lin = new float[b * f];
            float[] num = new float[0];
            float[] logits = new float[b];
            float[] labels = new float[b];
            float[] embGrad = new float[b * f * d];
            float[] linGrad = new float[b * f];
            SplittableRandom r = new SplittableRandom(11);
            for (int step = 0; step < steps; step++) {
                for (int i = 0; i < emb.length; i++) {
                    emb[i] = (float) (r.nextDouble() - 0.5);
                }
                for (int i = 0; i < b; i++) {
                    labels[i] = r.nextDouble() < 0.3 ? 1 : 0;
                }
                model.forward(emb, lin, num, b, logits);
                model.backward(labels, b, embGrad, linGrad);
            }
            float[] dense = new float[model.denseSize()];
            model.exportDense(dense);
            ByteBuffer bytes = ByteBuffer.allocate(4 * dense.length);
            for (float v : dense) {
                bytes.putFloat(v);
            }
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } finally {
            model.close();
        }
    }

    /** Prints the hash of two trainings: one on this thread, one on another; then BLAS's thread count. */
    public static void main(String[] args) throws Exception {
        String here = trainAndHash(30);
        String[] other = new String[1];
        Thread t = new Thread(() -> {
            try {
                other[0] = trainAndHash(30);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        t.join();
        System.out.println("HASH " + here + " " + other[0]);
        System.out.println("BLAS_THREADS " + Nd4jThreads.blasThreads());
    }

    @Test
    @Timeout(300)
    void shouldTrainTheSameBitsInFreshJvmsWithoutOmpNumThreads() throws Exception {
        List<String> hashes = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            cmd.add("-Xmx1g");
            for (String p : List.of("org.bytedeco.javacpp.cachedir", "org.bytedeco.javacpp.maxbytes",
                    "org.bytedeco.javacpp.maxphysicalbytes")) {
                if (System.getProperty(p) != null) {
                    cmd.add("-D" + p + "=" + System.getProperty(p));
                }
            }
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(Nd4jDeterminismTest.class.getName());
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().remove("OMP_NUM_THREADS");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            String line = out.lines().filter(l -> l.startsWith("HASH ")).findFirst().orElseThrow(() -> new AssertionError(out));
            String[] parts = line.split(" ");
            hashes.add(parts[1]);
            hashes.add(parts[2]);
            assertThat(out).as("ND4J pins BLAS to one thread in code").contains("BLAS_THREADS 1");
        }
        assertThat(hashes).as("hashes of six trainings in three JVMs").containsOnly(hashes.get(0));
    }
}
