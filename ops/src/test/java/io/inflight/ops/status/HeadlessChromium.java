package io.inflight.ops.status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's {@code chromium} in headless mode: renders a page (its scripts run, {@code fetch}es
 * included) and dumps the DOM or a screenshot. {@link #find} is null when it is not installed
 * ({@code apt-get install chromium}).
 */
final class HeadlessChromium {

    static final String MISSING = "chromium is not installed, so the status page cannot be rendered in a headless "
            + "browser: apt-get install -y chromium (.ci/run does so when it can)";

    private static final Pattern POINTS = Pattern.compile("<div[^>]*data-chart=\"(\\w+)\"[^>]*data-points=\"(\\d+)\"");

    private final Path binary;
    private final Path profile;

    private HeadlessChromium(Path binary, Path profile) {
        this.binary = binary;
        this.profile = profile;
    }

    /** The browser on the PATH (or /usr/bin/chromium) with a fresh profile under {@code dir}; null when absent. */
    static HeadlessChromium find(Path dir) throws IOException {
        String path = System.getenv().getOrDefault("PATH", "");
        Path found = Stream.concat(Stream.of(path.split(":")).filter(p -> !p.isEmpty()).map(p -> Path.of(p, "chromium")),
                        Stream.of(Path.of("/usr/bin/chromium")))
                .filter(Files::isExecutable).findFirst().orElse(null);
        return found == null ? null : new HeadlessChromium(found, Files.createDirectories(dir.resolve("chromium-profile")));
    }

    /** The DOM of {@code url} after its scripts ran for {@code virtualMs} of virtual time. */
    String dumpDom(String url, int virtualMs) throws IOException, InterruptedException {
        return run(List.of("--virtual-time-budget=" + virtualMs, "--dump-dom", url));
    }

    /** A screenshot of {@code url} at 1200x900 into {@code png}. */
    void screenshot(String url, Path png, int virtualMs) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run(List.of("--virtual-time-budget=" + virtualMs, "--window-size=1200,900",
                "--screenshot=" + png.toAbsolutePath(), url));
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    /** Data points the page says each chart drew ({@code data-points} of its {@code data-chart} div), by chart. */
    static java.util.Map<String, Integer> points(String dom) {
        java.util.Map<String, Integer> out = new java.util.TreeMap<>();
        Matcher m = POINTS.matcher(dom);
        while (m.find()) {
            out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return out;
    }

    private String run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--user-data-dir=" + profile));
        cmd.addAll(args);
        Path err = Files.createTempFile(profile, "stderr", ".txt");
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("chromium did not finish within 120 s: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IOException("chromium exited " + p.exitValue() + ": " + Files.readString(err));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
