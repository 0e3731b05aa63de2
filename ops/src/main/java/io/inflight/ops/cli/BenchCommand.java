package io.inflight.ops.cli;

import io.inflight.ops.bench.RecoveryBench;
import io.inflight.ops.broker.EmbeddedBroker;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks and checks that print figures (--json: one JSON line).",
        subcommands = {BenchCommand.Recovery.class})
final class BenchCommand {

    @Command(name = "recovery", mixinStandardHelpOptions = true,
            description = {"Train a generated stream once uninterrupted and once in child JVMs killed with SIGKILL",
                    "at random points; print both model hashes, events lost / applied twice, restart-to-resume time."})
    static final class Recovery implements Callable<Integer> {

        @Option(names = {"-n", "--events"}, defaultValue = "200000", description = "Events (default: ${DEFAULT-VALUE}).")
        long events;

        @Option(names = "--kills", defaultValue = "3", description = "SIGKILLs during the second run (default: ${DEFAULT-VALUE}).")
        int kills;

        @Option(names = "--seed", defaultValue = "42", description = "Seed of the stream and of the kill points (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = {"-b", "--bootstrap-servers"}, description = "Use this cluster instead of an embedded broker.")
        String bootstrap;

        @Option(names = "--work-dir", defaultValue = ".inflight/bench-recovery",
                description = "State and log directory, emptied at start (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Option(names = "--json", description = "Print one JSON line instead of the table.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (events < 1) {
                throw new IllegalArgumentException("--events must be >= 1, got " + events);
            }
            if (kills < 0 || kills > 100) {
                throw new IllegalArgumentException("--kills must be in [0, 100], got " + kills);
            }
            DemoCommand.deleteRecursively(workDir);
            PrintStream progress = json ? new PrintStream(OutputStream.nullOutputStream()) : System.out;
            EmbeddedBroker broker = bootstrap == null ? EmbeddedBroker.start(workDir.resolve("broker"), 0, 0) : null;
            try {
                String servers = bootstrap == null ? broker.bootstrapServers() : bootstrap;
                RecoveryBench.Result r = new RecoveryBench(servers, workDir, progress).run(events, kills, seed);
                if (json) {
                    System.out.println(r.json());
                } else {
                    System.out.printf(Locale.ROOT, "events                 %,d%n", r.events());
                    System.out.printf(Locale.ROOT, "killed at offsets      %s%n", r.killOffsets());
                    System.out.printf(Locale.ROOT, "uninterrupted hash     %s (%,d events)%n", r.cleanHash(), r.cleanEvents());
                    System.out.printf(Locale.ROOT, "killed+restarted hash  %s (%,d events)%n", r.crashedHash(), r.crashedEvents());
                    System.out.printf(Locale.ROOT, "identical              %s%n", r.identical() ? "yes" : "NO");
                    System.out.printf(Locale.ROOT, "events lost / twice    %d / %d%n", r.lost(), r.appliedTwice());
                    System.out.printf(Locale.ROOT, "restart-to-resume s    %s%n", r.resumeSeconds().stream()
                            .map(d -> String.format(Locale.ROOT, "%.2f", d)).toList());
                }
                return r.identical() && r.lost() == 0 && r.appliedTwice() == 0 ? 0 : 1;
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
    }
}
