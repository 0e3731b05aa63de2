package io.inflight.ops.cli;

import io.inflight.ops.replay.MergedLogSource;
import io.inflight.ops.replay.SkipReporter;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.Bucketing;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.topics.logs.LogRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * A log a bench reads as {@code replay} reads it: {@code --log} (repeatable, globs; several files are merged by
 * time), {@code --format}, {@code --mapping}, {@code --map}. Shared by {@code bench compression} and
 * {@code bench baselines}.
 */
final class LogOptions {

    /** The events of the --log files, their name ({@code log:FIRST-FILE}) and where they came from. */
    record Log(String name, String description, List<ClickEvent> events) {
    }

    @Option(names = "--log", paramLabel = "FILE",
            description = "A log to add as a stream, read as 'replay' reads it (repeatable; globs; several files are merged "
                    + "by time).")
    List<String> logs = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", description = "--log: criteo | avazu | movielens | ml-100k | ml-1m | "
            + "ml-10m | ml-20m | libfm | csv | tsv | jsonl.")
    String format;

    @Option(names = "--mapping", paramLabel = "FILE", description = "--log: generic mapping (.properties), as in replay.")
    Path mappingFile;

    @Option(names = "--map", paramLabel = "KEY=VALUE", description = "--log: one mapping key, as in replay (repeatable).")
    Map<String, String> mapOptions = new LinkedHashMap<>();

    boolean isEmpty() {
        return logs.isEmpty();
    }

    /**
     * Reads the --log files whole (malformed lines are reported on {@code log} and skipped); a bad option, a
     * missing file or a log without events is an {@link IllegalArgumentException} naming the option (exit 2).
     */
    Log read(Bucketing integers, PrintStream log) {
        Map<String, String> mapKeys = LogFiles.mappingKeys(mappingFile, mapOptions);
        List<Path> files;
        try {
            files = LogFiles.expand(logs);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--log: " + e.getMessage(), e);
        }
        LogFormat fmt;
        try {
            fmt = LogFiles.format(format, mapKeys, files.get(0));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format: " + e.getMessage(), e);
        }
        LogMapping mapping = mapKeys.isEmpty() ? null : LogMapping.parse(mapKeys);
        if (fmt.needsMapping() && mapping == null) {
            throw new IllegalArgumentException("--format " + fmt + " needs --mapping FILE or --map KEY=VALUE options");
        }
        LogFormat.Options d = LogFormat.Options.defaults();
        LogFormat.Options o = new LogFormat.Options(mapping, integers, d.libFmFields(), d.startMs(), d.stepMs(), d.limits());
        List<LogReader> readers = new ArrayList<>();
        for (Path f : files) {
            readers.add(fmt.open(f, o));
        }
        List<ClickEvent> ev = new ArrayList<>();
        SkipReporter skips = new SkipReporter(false, log, 100);
        try (MergedLogSource source = new MergedLogSource(readers, 1, Long.MIN_VALUE, skips)) {
            LogRecord r;
            while ((r = source.next()) != null) {
                ev.add(r.event());
            }
        }
        if (ev.isEmpty()) {
            throw new IllegalArgumentException("--log: no events in " + files);
        }
        return new Log("log:" + files.get(0).getFileName(), String.format(Locale.ROOT,
                "%,d events from %d %s file(s), %,d lines skipped", ev.size(), files.size(), fmt, skips.skipped()), ev);
    }
}
