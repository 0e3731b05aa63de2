package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the packaged command line's demo in its own JVM. The CLI does not call System.exit on
 * success, so the JVM ends only when every non-daemon thread (broker, Streams, producers) stopped.
 */
@Timeout(300)
class DemoExitIT {

    @Test
    void shouldFinishTheDemoAndLetTheJvmExit() throws Exception {
        Path jar = Path.of("target", "inflight-ops.jar");
        assertThat(jar).exists();
        Path work = ItFixtures.workDir("demo");
        Path log = work.resolve("demo.out");
        Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-Xmx1g", "-jar", jar.toString(), "demo", "-n", "20000", "--work-dir", work.resolve("w").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = p.waitFor(240, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(exited).as("demo JVM exited; output:%n%s", out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("=== Inflight demo summary ===").contains("model hash");
        Matcher m = Pattern.compile("progressive AUC ([0-9.]+) vs teacher AUC ([0-9.]+)").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        double auc = Double.parseDouble(m.group(1));
        double teacher = Double.parseDouble(m.group(2));
        assertThat(auc).isGreaterThan(0.6).isLessThan(teacher + 0.01);
        assertThat(List.of(out.split("\n"))).anyMatch(l -> l.contains("events 20,000"));
        // the mission end to end: a compressed table under its budget, and a replica that has the final model
        // the summary's table line (a progress line before it may come when few features were seen)
        String summary = out.substring(out.indexOf("=== Inflight demo summary ==="));
        Matcher table = Pattern.compile("table ([0-9.]+) kB \\(budget ([0-9.]+) kB\\) = 1/([0-9.]+) of fp32").matcher(summary);
        assertThat(table.find()).as(out).isTrue();
        assertThat(Double.parseDouble(table.group(1))).as(out).isLessThanOrEqualTo(Double.parseDouble(table.group(2)));
        assertThat(Double.parseDouble(table.group(3))).as(out).isGreaterThan(10); // budget: 1/50 of the fp32 table
        assertThat(out).contains("by precision").contains("caught up with the trainer's last batch")
                .contains("replica's score of the stream's first event");
    }

    @Test
    void shouldFailAtStartNamingABadKeyWithoutStartingAnything() throws Exception {
        Path jar = Path.of("target", "inflight-ops.jar");
        Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-jar", jar.toString(), "train", "--set", "inflight.model.dim=0")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(out).contains("inflight.model.dim").contains("0").doesNotContain("Training on");
    }

    /**
     * {@code train} on its embedded broker, fed by {@code generate}, stopped by SIGTERM (what Ctrl-C
     * sends as well): its summary carries the model hash.
     */
    @Test
    void shouldPrintTheModelHashWhenTrainStops() throws Exception {
        Path jar = Path.of("target", "inflight-ops.jar");
        assertThat(jar).exists();
        for (String[] trainer : new String[][] {
                {"mini-batch", "--set", "inflight.model.fields=f0,f1,f2,f3,f4,f5,f6,f7", "2,944"}}) { // 46 batches of 64
            Path work = ItFixtures.workDir("train");
            Path log = work.resolve("train.out");
            Process p = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                    "-Xmx1g", "-jar", jar.toString(), "train", "--data-dir", work.resolve("broker").toString(),
                    "--set", "inflight.state.dir=" + work.resolve("state"), "--progress-interval", "1",
                    "--set", "inflight.train.batch.size=64", trainer[1], trainer[2])
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                String out = await(log, "Produce events to", p);
                Matcher address = Pattern.compile("Training on inflight.clicks at (127\\.0\\.0\\.1:\\d+)").matcher(out);
                assertThat(address.find()).as(out).isTrue();
                assertThat(InflightCli.run("generate", "-n", "3000", "--topic", "-b", address.group(1))).isZero();
                await(log, "events " + trainer[3] + " ", p);
            } finally {
                p.destroy(); // SIGTERM: the shutdown hook stops the loop, and train prints its summary
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(out).as(trainer[0]).contains("=== Inflight train summary ===");
            Matcher hash = Pattern.compile("model hash \\(rows, optimizer state, dense\\): ([0-9a-f]{64})").matcher(out);
            assertThat(hash.find()).as("%s:%n%s", trainer[0], out).isTrue();
            assertThat(out).contains("events " + trainer[3] + " | progressive AUC");
        }
    }

    /** The output so far once it contains {@code text}; fails after 120 s or when the process ended. */
    private static String await(Path log, String text, Process p) throws Exception {
        return Await.until(Duration.ofSeconds(120), Duration.ofMillis(200),
                () -> "'" + text + "' in the output of train:\n" + read(log),
                () -> assertThat(p.isAlive()).as("train ended before printing '%s':%n%s", text, read(log)).isTrue(),
                () -> {
                    String out = read(log);
                    return out.contains(text) ? out : null;
                });
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
