package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.IllegalFormatException;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Picocli prints each element of a description on a line of its own, and the command list shows only
 * a command's first element: an element that stops mid-sentence is a cut sentence in {@code --help}.
 */
class HelpTextTest {

    @Test
    void shouldEndEveryDescriptionLineOfEveryCommandAndOptionWithAWholeSentence() {
        List<String> cut = new ArrayList<>();
        collect(new CommandLine(new InflightCli()), (where, line) -> checkWhole(where, line, cut));
        assertThat(cut).as("description lines cut mid-sentence").isEmpty();
    }

    /** Picocli formats every description line; one that fails (a bare {@code %}) prints a WARN in {@code --help}. */
    @Test
    void shouldFormatEveryDescriptionLineWithoutError() {
        List<String> bad = new ArrayList<>();
        collect(new CommandLine(new InflightCli()), (where, line) -> {
            try {
                String.format(Locale.ROOT, line);
            } catch (IllegalFormatException e) {
                bad.add(where + ": " + e.getMessage() + ": " + line);
            }
        });
        assertThat(bad).as("description lines picocli cannot format").isEmpty();
    }

    /** Every description line of every command, option and parameter, with where it is. */
    private static void collect(CommandLine cli, BiConsumer<String, String> check) {
        CommandSpec spec = cli.getCommandSpec();
        each(spec.qualifiedName(), spec.usageMessage().description(), check);
        for (OptionSpec o : spec.options()) {
            each(spec.qualifiedName() + " " + o.longestName(), o.description(), check);
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            each(spec.qualifiedName() + " " + p.paramLabel(), p.description(), check);
        }
        cli.getSubcommands().values().forEach(sub -> collect(sub, check));
    }

    private static void each(String where, String[] lines, BiConsumer<String, String> check) {
        for (String line : lines) {
            check.accept(where, line);
        }
    }

    private static void checkWhole(String where, String line, List<String> cut) {
        String t = line.replace("%n", "").strip(); // picocli's own texts end with a format newline
        boolean whole = t.isEmpty() || line.startsWith("  ") || t.endsWith(".") || t.endsWith(":") || t.endsWith(")")
                || t.endsWith("?") || t.endsWith("!");
        if (!whole) {
            cut.add(where + ": " + line);
        }
    }
}
