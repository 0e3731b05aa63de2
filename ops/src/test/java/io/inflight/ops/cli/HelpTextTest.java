package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
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
        collect(new CommandLine(new InflightCli()), cut);
        assertThat(cut).as("description lines cut mid-sentence").isEmpty();
    }

    private static void collect(CommandLine cli, List<String> cut) {
        CommandSpec spec = cli.getCommandSpec();
        check(spec.qualifiedName(), spec.usageMessage().description(), cut);
        for (OptionSpec o : spec.options()) {
            check(spec.qualifiedName() + " " + o.longestName(), o.description(), cut);
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            check(spec.qualifiedName() + " " + p.paramLabel(), p.description(), cut);
        }
        cli.getSubcommands().values().forEach(sub -> collect(sub, cut));
    }

    private static void check(String where, String[] lines, List<String> cut) {
        for (String line : lines) {
            String t = line.replace("%n", "").strip(); // picocli's own texts end with a format newline
            boolean whole = t.isEmpty() || line.startsWith("  ") || t.endsWith(".") || t.endsWith(":") || t.endsWith(")")
                    || t.endsWith("?") || t.endsWith("!");
            if (!whole) {
                cut.add(where + ": " + line);
            }
        }
    }
}
