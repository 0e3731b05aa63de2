package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.ops.replay.LogReplay;
import io.inflight.ops.replay.LogStatistics;
import io.inflight.ops.replay.MergedLogSource;
import io.inflight.ops.replay.OutOfOrderException;
import io.inflight.ops.replay.Pacer;
import io.inflight.ops.replay.ReplaySource;
import io.inflight.ops.replay.ReplayStoppedException;
import io.inflight.ops.replay.ReplaySummary;
import io.inflight.ops.replay.SkipReporter;
import io.inflight.ops.replay.SortedLogSource;
import io.inflight.ops.replay.TopicReplay;
import io.inflight.ops.train.TrainerApp;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventValidator;
import io.inflight.topics.json.JsonEventCodec;
import io.inflight.topics.logs.Bucketing;
import io.inflight.topics.logs.LogFormat;
import io.inflight.topics.logs.LogMapping;
import io.inflight.topics.logs.LogReader;
import io.inflight.trainer.config.InflightConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Function;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replay click logs (or another topic) into <prefix>.clicks in event-time order, at full speed, "
                + "at --rate events/s or at --speedup x real time.",
                "Files are assumed "
                + "sorted by time; several files are merged by time. An event earlier than the one before it "
                + "stops the replay (exit 2, naming file:line and both times); --sort sorts the input by time "
                + "first (an external merge sort: bounded memory, runs spilled to --sort-dir). Without --bootstrap-servers an "
                + "embedded broker is started (data in --data-dir, so a later 'inflight train' "
                + "without --bootstrap-servers sees the events). --dry-run validates the log and "
                + "prints per-field statistics without producing.",
                "Examples:",
                "  inflight replay --format criteo shared/data/criteo-sample/train.tsv",
                "  inflight replay --format movielens shared/data/ml-100k --speedup 86400",
                "  inflight replay --format ml-1m shared/data/ml-1m --dry-run",
                "  inflight replay --format csv --map separator=:: --map header=false \\",
                "      --map columns=user,item,rating,ts --map label=rating \\",
                "      --map 'label.rule=>=4' --map time=ts --map time.format=epoch-s \\",
                "      --map categorical=user,item ratings.dat --dry-run",
                "  inflight replay --mapping talkingdata.properties 'logs/day-*.csv.gz' --rate 5000",
                "  inflight replay --from-topic old.clicks --from-timestamp 2024-01-01T00:00:00Z",
                ""})
final class ReplayCommand implements Callable<Integer> {

    /** With --sort, a chunk is also cut at this many bytes of encoded events. */
    static final long SORT_CHUNK_BYTES = 256L << 20;

    @Parameters(paramLabel = "FILE", arity = "0..*",
            description = "Log files (plain or gzip), a MovieLens directory, or globs such as 'logs/day-*.tsv.gz' (quote them).")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "criteo | avazu | movielens | ml-100k | ml-1m | ml-10m | ml-20m | libfm | csv | tsv | jsonl "
                    + "(movielens tells the MovieLens release by its files; default: from the mapping's 'format' key "
                    + "or the file name: .libfm/.libsvm, .jsonl/.ndjson, a directory, u.data or ratings.dat = movielens).")
    String format;

    @Option(names = "--mapping", paramLabel = "FILE",
            description = "Generic mapping (.properties) for csv, tsv and jsonl: label=, label.rule=, time=, time.format=, id=, "
                    + "categorical=, numeric=, multi=, columns=, header=, separator=, quote= (see LogMapping). "
                    + "time.format: epoch-s | epoch-ms (default) | a java.time pattern such as yyyy-MM-dd HH:mm:ss or yyMMddHH "
                    + "(time.zone=UTC by default). separator: any string, e.g. , | ; :: or \\t (default , for csv, tab for tsv); "
                    + "quote: true | false (default true for csv, false for tsv).")
    Path mappingFile;

    @Option(names = "--map", paramLabel = "KEY=VALUE",
            description = "One mapping key, e.g. --map label=rating --map label.rule='>=4' (repeatable; wins over --mapping).")
    Map<String, String> mapOptions = new LinkedHashMap<>();

    @Option(names = "--criteo-integers", paramLabel = "BUCKETING", defaultValue = "criteo",
            description = "Criteo I1..I13: criteo (floor(ln(x)^2) categories), log2, none (numeric fields) or bounds:b1|b2|... "
                    + "(default: ${DEFAULT-VALUE}).")
    String criteoIntegers;

    @Option(names = "--libfm-fields", paramLabel = "NAME,...", split = ",",
            description = "Names of libFM fields by position, e.g. user,item,daytime (default: f0, f1, ...).")
    List<String> libFmFields = new ArrayList<>();

    @Option(names = "--synthetic-start", paramLabel = "ISO", defaultValue = "2020-01-01T00:00:00Z",
            description = "Event time of line 1 for logs without time (criteo, libfm) (default: ${DEFAULT-VALUE}).")
    String syntheticStart;

    @Option(names = "--synthetic-step-ms", paramLabel = "MS", defaultValue = "1000",
            description = "Event-time step per line for logs without time (default: ${DEFAULT-VALUE}).")
    long syntheticStepMs;

    @Option(names = "--rate", paramLabel = "EVENTS_PER_S", description = "Send at this average rate.")
    Double rate;

    @Option(names = "--speedup", paramLabel = "FACTOR", description = "Send at FACTOR x real time (event-time gaps / FACTOR).")
    Double speedup;

    @Option(names = "--from-line", paramLabel = "N", defaultValue = "1",
            description = "Resume: skip records before line N of each file (default: ${DEFAULT-VALUE}).")
    long fromLine;

    @Option(names = "--from-time", paramLabel = "ISO|EPOCH_MS", description = "Resume: skip events before this event time.")
    String fromTime;

    @Option(names = "--limit", paramLabel = "N", description = "Send at most N events.")
    Long limit;

    @Option(names = "--strict", description = "Stop at the first malformed line (exit 1 naming file:line and the reason) "
            + "instead of reporting and skipping it.")
    boolean strict;

    @Option(names = "--sort", description = {"Sort the input by event time before replaying it: chunks of --sort-chunk events "
            + "(at most 256 MiB encoded) are sorted in memory and spilled to --sort-dir, then merged. Stable: ties keep "
            + "the order of the files and of their lines. Without --sort, input out of time order is refused (exit 2)."})
    boolean sort;

    @Option(names = "--sort-chunk", paramLabel = "EVENTS", defaultValue = "1000000",
            description = "With --sort: most events sorted in memory at once (default: ${DEFAULT-VALUE}).")
    int sortChunk;

    @Option(names = "--sort-dir", paramLabel = "DIR", defaultValue = ".inflight/sort",
            description = "With --sort: where the sorted runs are spilled (a temporary directory in it, deleted at the end; "
                    + "default: ${DEFAULT-VALUE}).")
    Path sortDir;

    @Option(names = "--order-tolerance-ms", paramLabel = "MS", defaultValue = "0",
            description = "Accept (and send as they come) events at most MS earlier than the latest one before them, "
                    + "e.g. for logs of several servers with small clock differences (default: ${DEFAULT-VALUE}: "
                    + "the input must be in time order).")
    long orderToleranceMs;

    @Option(names = "--dry-run", description = {"Validate the log and print per-field statistics; produce nothing.",
            "Exits 1 when no line validated (a wrong --format or mapping, say), 0 when at least one did."})
    boolean dryRun;

    @Option(names = "--distinct-cap", paramLabel = "N", defaultValue = "100000",
            description = "Dry run: distinct values are exact up to N per field, then a HyperLogLog estimate (default: ${DEFAULT-VALUE}).")
    int distinctCap;

    @Option(names = "--from-topic", paramLabel = "TOPIC", description = "Replay this topic (not files) into the clicks topic.")
    String fromTopic;

    @Option(names = "--from-offset", paramLabel = "N", description = "With --from-topic: start at offset N in every partition.")
    Long fromOffset;

    @Option(names = "--from-timestamp", paramLabel = "ISO", description = "With --from-topic: start at the first record at or after this time.")
    String fromTimestamp;

    @Option(names = "--progress-interval", paramLabel = "SECONDS", defaultValue = "2",
            description = "Seconds between progress lines on stderr, 0 for none (default: ${DEFAULT-VALUE}).")
    double progressSeconds;

    @Mixin
    EmbeddedBrokerOptions embedded;

    @Mixin
    ConfigOptions config;

    @Override
    public Integer call() throws Exception {
        InflightConfig checked = config.resolve("127.0.0.1:9092"); // validate everything before starting anything
        checked.warnings().forEach(w -> System.err.println("warning: " + w));
        Pacer pacer = pacer();
        if (!(progressSeconds >= 0) || !Double.isFinite(progressSeconds)) {
            throw new IllegalArgumentException("--progress-interval must be a finite number >= 0, got " + progressSeconds);
        }
        if (limit != null && limit < 0) {
            throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
        if (fromOffset != null && fromOffset < 0) {
            throw new IllegalArgumentException("--from-offset must be >= 0, got " + fromOffset);
        }
        if (sortChunk < 1) {
            throw new IllegalArgumentException("--sort-chunk must be >= 1, got " + sortChunk);
        }
        if (orderToleranceMs < 0) {
            throw new IllegalArgumentException("--order-tolerance-ms must be >= 0, got " + orderToleranceMs);
        }
        if (distinctCap < 1) {
            throw new IllegalArgumentException("--distinct-cap must be >= 1, got " + distinctCap);
        }
        if (!dryRun) {
            embedded.check(config); // the broker's port and data directory, when one will be started
        }
        long progressNanos = (long) (progressSeconds * 1e9);
        if (fromTopic != null) {
            if (!inputs.isEmpty() || dryRun || sort) {
                throw new IllegalArgumentException("--from-topic replays a topic: give no files, no --dry-run and no --sort");
            }
            return replayTopic(new TopicReplay.Start(fromOffset, fromTimestamp == null ? null : instant("--from-timestamp", fromTimestamp)),
                    pacer, progressNanos);
        }
        if (fromOffset != null || fromTimestamp != null) {
            throw new IllegalArgumentException("--from-offset and --from-timestamp need --from-topic (for files use --from-line or --from-time)");
        }
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("give log files to replay (or --from-topic)");
        }
        if (fromLine < 1) {
            throw new IllegalArgumentException("--from-line must be >= 1, got " + fromLine);
        }
        Map<String, String> mapKeys = mappingKeys();
        List<Path> files = LogFiles.expand(inputs);
        LogFormat fmt = format(mapKeys, files.get(0));
        LogMapping mapping = mapKeys.isEmpty() ? null : LogMapping.parse(mapKeys);
        if (fmt.needsMapping() && mapping == null) {
            throw new IllegalArgumentException("--format " + fmt + " needs --mapping FILE or --map KEY=VALUE options (label=..., categorical=...)");
        }
        LogFormat.Options options = new LogFormat.Options(mapping, Bucketing.parse(criteoIntegers), libFmFields,
                instant("--synthetic-start", syntheticStart), syntheticStepMs, checked.limits());
        long fromTimeMs = fromTime == null ? Long.MIN_VALUE : timeArg("--from-time", fromTime);
        LogReplay.Settings settings = new LogReplay.Settings(pacer, new EventValidator(checked.limits()), progressNanos,
                limit == null ? Long.MAX_VALUE : limit, orderToleranceMs);
        return dryRun ? dryRun(fmt, files, options, fromTimeMs, settings) : replayFiles(fmt, files, options, fromTimeMs, settings);
    }

    private Integer dryRun(LogFormat fmt, List<Path> files, LogFormat.Options options, long fromTimeMs, LogReplay.Settings settings) {
        System.out.printf(Locale.ROOT, "Dry run: validating %d %s file(s), nothing is produced%n", files.size(), fmt);
        LogStatistics stats = new LogStatistics(distinctCap);
        SkipReporter skips = new SkipReporter(strict, System.err, 100);
        ReplaySummary summary;
        try (ReplaySource source = source(open(fmt, files, options), fromTimeMs, skips, settings.progressIntervalNanos())) {
            summary = LogReplay.run(source, skips, r -> stats.add(r.event()), withPacer(settings, new Pacer.FullSpeed()),
                    System.err, () -> false);
        } catch (ReplayStoppedException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        } catch (OutOfOrderException e) {
            System.err.println(notInTimeOrder(e, "validated"));
            return 2;
        }
        stats.print(System.out);
        System.out.println(summary.line("Validated"));
        if (summary.produced() == 0) {
            System.err.println(noneValidated(summary));
            return 1;
        }
        return 0;
    }

    /** The records to replay: the files merged by time, or with --sort all of them sorted by time. */
    private ReplaySource source(List<LogReader> readers, long fromTimeMs, SkipReporter skips, long progressNanos) {
        if (!sort) {
            return new MergedLogSource(readers, fromLine, fromTimeMs, skips);
        }
        long t0 = System.nanoTime();
        SortedLogSource sorted = new SortedLogSource(MergedLogSource.concatenated(readers, fromLine, fromTimeMs, skips), sortChunk,
                SORT_CHUNK_BYTES, sortDir, System.err, progressNanos);
        System.out.printf(Locale.ROOT, "Sorted %,d events by time in %.2f s (%s)%n", sorted.events(), (System.nanoTime() - t0) / 1e9,
                sorted.spilledRuns() == 0 ? "in memory"
                        : sorted.spilledRuns() + (sorted.spilledRuns() == 1 ? " run" : " runs") + " spilled to " + sortDir);
        return sorted;
    }

    /** The one line of a replay refused because its input is not in time order (it then exits 2). */
    static String notInTimeOrder(OutOfOrderException e, String verb) {
        return String.format(Locale.ROOT, "error: not in time order: %s; %,d events %s before it. Pass --sort to sort the input by time "
                + "(or --order-tolerance-ms to accept small differences)", e.getMessage(), e.sentBefore(), verb);
    }

    /** The line a dry run ends with when no line validated (it then exits 1). */
    static String noneValidated(ReplaySummary s) {
        return String.format(Locale.ROOT, "error: no line validated (%,d malformed%s)%s", s.skipped(),
                s.resumeSkipped() > 0 ? String.format(Locale.ROOT, ", %,d before the resume point", s.resumeSkipped()) : "",
                s.skipped() > 0 ? ": check --format and the mapping against the file" : "");
    }

    private Integer replayFiles(LogFormat fmt, List<Path> files, LogFormat.Options options, long fromTimeMs, LogReplay.Settings settings)
            throws Exception {
        List<LogReader> readers = open(fmt, files, options);
        Target opened;
        try {
            opened = Target.open(this);
        } catch (RuntimeException e) {
            readers.forEach(LogReader::close);
            throw e;
        }
        try (Shutdown shutdown = new Shutdown(); Target target = opened) {
            System.out.printf(Locale.ROOT, "Replaying %d %s file(s) to %s at %s%s (%s)%n", files.size(), fmt, target.cfg.topics().clicks(),
                    target.cfg.bootstrapServers(), embedded.describe(target.broker),
                    describe(settings.pacer()));
            // the clicks topic's wire format (inflight.input.format) decides how events are written
            Function<ClickEvent, byte[]> encoder =
                    "json".equals(target.cfg.trainerSettings().inputFormat())
                            ? new JsonEventCodec(target.cfg.limits())::encode
                            : new EventCodec(target.cfg.limits())::encode;
            SkipReporter skips = new SkipReporter(strict, System.err, 100);
            long t0 = System.nanoTime();
            ReplaySummary summary;
            try (ReplaySource source = source(readers, fromTimeMs, skips, settings.progressIntervalNanos())) {
                summary = LogReplay.run(source, skips, r -> target.producer.send(
                        r.event().id() == null ? null : r.event().id().getBytes(StandardCharsets.UTF_8), encoder.apply(r.event())),
                        settings, System.err, shutdown::requested);
            } catch (ReplayStoppedException e) {
                target.producer.flush();
                System.err.println("error: " + e.getMessage());
                return 1;
            } catch (OutOfOrderException e) {
                target.producer.flush();
                System.err.println(notInTimeOrder(e, "produced"));
                return 2;
            }
            target.producer.flush();
            summary = withElapsed(summary, System.nanoTime() - t0);
            System.out.println(summary.line("Produced"));
            if (summary.stopped() && summary.lastEventTimeMs() != Long.MIN_VALUE) {
                System.out.println("Resume with --from-time " + summary.lastEventTimeMs()
                        + " (events at exactly that millisecond are sent again)");
            }
            return 0;
        }
    }

    private Integer replayTopic(TopicReplay.Start start, Pacer pacer, long progressNanos) throws Exception {
        try (Shutdown shutdown = new Shutdown(); Target target = Target.open(this)) {
            long t0 = System.nanoTime();
            ReplaySummary s = TopicReplay.run(target.cfg.kafkaClientConfigs(), fromTopic, start, target.producer, pacer, progressNanos,
                    System.err, shutdown::requested);
            System.out.println(withElapsed(s, System.nanoTime() - t0).line("Produced"));
            return 0;
        }
    }

    /** The cluster (embedded when no bootstrap is given), the topics and the producer; closed in reverse order. */
    private static final class Target implements AutoCloseable {
        final EmbeddedBroker broker;
        final InflightConfig cfg;
        final ClicksProducer producer;

        private Target(EmbeddedBroker broker, InflightConfig cfg, ClicksProducer producer) {
            this.broker = broker;
            this.cfg = cfg;
            this.producer = producer;
        }

        static Target open(ReplayCommand c) {
            EmbeddedBroker broker = c.embedded.startUnless(c.config);
            try {
                InflightConfig cfg = c.config.resolve(broker == null ? null : broker.bootstrapServers());
                TrainerApp.ensureTopics(cfg);
                return new Target(broker, cfg, new ClicksProducer(cfg.kafkaClientConfigs(), cfg.topics().clicks()));
            } catch (RuntimeException e) {
                if (broker != null) {
                    broker.close();
                }
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                producer.close();
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
    }

    private static ReplaySummary withElapsed(ReplaySummary s, long nanos) {
        return new ReplaySummary(s.produced(), s.skipped(), s.resumeSkipped(), s.outOfOrder(), nanos, s.lastEventTimeMs(), s.stopped());
    }

    private static LogReplay.Settings withPacer(LogReplay.Settings s, Pacer p) {
        return new LogReplay.Settings(p, s.validator(), s.progressIntervalNanos(), s.limit(), s.orderToleranceMs());
    }

    private static String describe(Pacer p) {
        if (p instanceof Pacer.Rate r) {
            return String.format(Locale.ROOT, "%,.0f events/s", r.eventsPerSecond());
        }
        if (p instanceof Pacer.Speedup s) {
            return String.format(Locale.ROOT, "%sx real time", s.factor());
        }
        return "full speed";
    }

    private Pacer pacer() {
        if (rate != null && speedup != null) {
            throw new IllegalArgumentException("give at most one of --rate and --speedup");
        }
        return rate != null ? new Pacer.Rate(rate) : speedup != null ? new Pacer.Speedup(speedup) : new Pacer.FullSpeed();
    }

    private static List<LogReader> open(LogFormat fmt, List<Path> files, LogFormat.Options options) {
        List<LogReader> readers = new ArrayList<>();
        try {
            for (Path f : files) {
                readers.add(fmt.open(f, options));
            }
            return readers;
        } catch (RuntimeException e) {
            readers.forEach(LogReader::close);
            throw e;
        }
    }

    private Map<String, String> mappingKeys() {
        return LogFiles.mappingKeys(mappingFile, mapOptions);
    }

    private LogFormat format(Map<String, String> mapKeys, Path first) {
        return LogFiles.format(format, mapKeys, first);
    }

    private static long instant(String option, String value) {
        try {
            return Instant.parse(value.trim()).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant such as 2024-01-31T12:00:00Z, got '" + value + "'");
        }
    }

    private static long timeArg(String option, String value) {
        String v = value.trim();
        if (v.matches("-?\\d+")) {
            return Long.parseLong(v);
        }
        return instant(option, v);
    }
}
