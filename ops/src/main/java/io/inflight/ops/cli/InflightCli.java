package io.inflight.ops.cli;

import java.io.PrintWriter;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code inflight} command line. Exit codes: 0 success, 1 failure at run time, 2 bad usage or
 * bad configuration (the message names the key and the value).
 */
@Command(name = "inflight", mixinStandardHelpOptions = true, versionProvider = InflightCli.Version.class,
        description = "Continuous CTR training from Kafka with adaptive embedding rows.",
        subcommands = {DemoCommand.class, BrokerCommand.class, TrainCommand.class, GenerateCommand.class, ServeCommand.class, SnapshotCommand.class, BenchCommand.class, ReplayCommand.class,
                CommandLine.HelpCommand.class})
public final class InflightCli {

    /**
     * Runs the command line. Exits the JVM only on failure: on success main returns and the JVM ends
     * when every non-daemon thread has stopped, so a thread left running is visible, not hidden.
     */
    public static void main(String[] args) {
        ConcurrentTransactionsFilter.install();
        int rc = run(args);
        if (rc != 0) {
            System.exit(rc);
        }
    }

    /** Runs without exiting; returns the exit code. */
    public static int run(String... args) {
        return run(null, args);
    }

    /** As {@link #run(String...)}, with usage and error messages to {@code err} (null: stderr). */
    static int run(PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new InflightCli());
        cli.setExecutionExceptionHandler(InflightCli::handleError);
        if (err != null) {
            cli.setErr(err);
        }
        return cli.execute(args);
    }

    private static int handleError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            err.println(cmd.getColorScheme().errorText("error: " + e.getMessage()));
            err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for the options.");
            return 2;
        }
        err.println(cmd.getColorScheme().errorText("error: " + e));
        e.printStackTrace(err);
        return 1;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = InflightCli.class.getPackage().getImplementationVersion();
            return new String[] {"inflight " + (v == null ? "dev" : v)};
        }
    }
}
