package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged command line ({@code target/inflight-ops.jar}) run as a user runs it, each command
 * its own JVM writing stdout and stderr to a log file; and what the integration tests read from its
 * output (the summary's scored events and model hash, the replay's produced and skipped lines).
 */
final class JarRuns {

    static final Pattern HASH = Pattern.compile("model hash \\(rows, optimizer state, dense\\): ([0-9a-f]{64})");
    private static final Pattern SCORED = Pattern.compile("scored ([0-9,]+) events");
    private static final Pattern PRODUCED = Pattern.compile("Produced ([0-9,]+) events, skipped ([0-9,]+)");

    private JarRuns() {
    }

    /** What a command exited with and printed. */
    record Run(int code, String out) {
    }

    /** What a replay produced and skipped (malformed lines), from its last line. */
    record Produced(long events, long skipped) {
    }

    /** Runs {@code args} to their end (at most 5 minutes), the output in {@code log}. */
    static Run run(Path log, List<String> args) throws Exception {
        Process p = start(args, log);
        boolean exited = p.waitFor(300, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        assertThat(exited).as("%s ended by itself:%n%s", log.getFileName(), read(log)).isTrue();
        return new Run(p.exitValue(), read(log));
    }

    /** Starts {@code args} on the packaged command line, stdout and stderr to {@code log}. */
    static Process start(List<String> args, Path log) throws IOException {
        Path jar = Path.of("target", "inflight-ops.jar");
        assertThat(jar).exists();
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xmx1g", "-jar", jar.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * {@code train} on the embedded broker keeping its data in {@code dataDir}, as application
     * {@code app} with its state in {@code work/state-<app>}, a progress line a second, then
     * {@code settings} (each passed with {@code --set}) and {@code extra}.
     */
    static List<String> train(Path dataDir, Path work, String app, List<String> settings, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--data-dir", dataDir.toString(), "--progress-interval", "1",
                "--set", "inflight.application.id=" + app, "--set", "inflight.state.dir=" + work.resolve("state-" + app)));
        settings.forEach(s -> args.addAll(List.of("--set", s)));
        args.addAll(List.of(extra));
        return args;
    }

    /** The events a train summary says were scored. */
    static long scored(String out) {
        return number(group(SCORED, out, 1));
    }

    /** The model hash a train summary ends with. */
    static String hash(String out) {
        return group(HASH, out, 1);
    }

    /** The events a replay produced and the malformed lines it skipped. */
    static Produced produced(String out) {
        return new Produced(number(group(PRODUCED, out, 1)), number(group(PRODUCED, out, 2)));
    }

    static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String group(Pattern pattern, String out, int group) {
        Matcher m = pattern.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(group);
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }
}
