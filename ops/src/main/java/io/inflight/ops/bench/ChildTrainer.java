package io.inflight.ops.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A trainer instance in a child JVM, as a user starts one: {@code inflight train --set KEY=VALUE ...}
 * on this process's class path, its output (stdout and stderr) to a log file. The benches that kill
 * trainers ({@link RecoveryBench}, {@link TrainerCluster}) start them here.
 */
final class ChildTrainer {

    private ChildTrainer() {
    }

    /** Starts {@code train} with {@code settings}, one OpenMP thread unless the environment sets it, output to {@code log}. */
    static Process start(Map<String, String> settings, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-Xmx1g", "-cp", System.getProperty("java.class.path"), "io.inflight.ops.cli.InflightCli", "train",
                "--progress-interval=60"));
        for (Map.Entry<String, String> e : settings.entrySet()) {
            cmd.add("--set");
            cmd.add(e.getKey() + "=" + e.getValue());
        }
        Files.createDirectories(log.toAbsolutePath().getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("OMP_NUM_THREADS", "1");
        return pb.start();
    }
}
