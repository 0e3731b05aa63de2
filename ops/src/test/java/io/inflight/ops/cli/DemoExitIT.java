package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path work = Files.createTempDirectory(Files.createDirectories(Path.of("target", "it")), "demo");
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
}
