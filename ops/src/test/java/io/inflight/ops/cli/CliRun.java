package io.inflight.ops.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** One run of the command line in this JVM: its exit code and what it printed to stdout and stderr. */
public record CliRun(int rc, String out, String err) {

    /** Runs {@code args} with stdout and stderr captured (one run at a time: the streams are global). */
    public static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = InflightCli.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new CliRun(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * A small CSV log ({@code click,a,b,c}, 1,500 lines, seeded) in {@code dir}: the click depends on
     * {@code a}, so a model learns something from it in a few hundred events.
     */
    public static Path tinyCsv(Path dir) throws IOException {
        Path csv = dir.resolve("tiny.csv");
        StringBuilder b = new StringBuilder("click,a,b,c\n");
        Random rnd = new Random(1);
        for (int i = 0; i < 1500; i++) {
            int a = rnd.nextInt(30);
            b.append(a % 3 == 0 ^ rnd.nextDouble() < 0.2 ? 1 : 0).append(",a").append(a).append(",b")
                    .append(rnd.nextInt(200)).append(",c").append(rnd.nextInt(5)).append('\n');
        }
        Files.writeString(csv, b.toString());
        return csv;
    }

    /** Both streams, for assertion messages. */
    public String all() {
        return out + err;
    }
}
