package io.inflight.ops.cli;

import io.inflight.ops.bench.BaselinesBench;
import io.inflight.ops.bench.CompressionBench;
import io.inflight.ops.bench.CompressionChart;
import io.inflight.ops.bench.CompressionGoals;
import io.inflight.ops.bench.CompressionOutput;
import io.inflight.policies.PolicySettings;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.Bucketing;
import io.inflight.trainer.config.InflightConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "compression", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"The memory-AUC frontier: each policy mode at byte budgets below the fp32 reference.",
                "Per stream and model: the full-precision unlimited reference (mode none, fp32, D = 16 in chunks 4,4,4,4), "
                + "then every mode at budgets of 1/d of the reference's final table bytes (EmbeddingStore#storedBytes); "
                + "one pass, progressive AUC, the same batch size for every run of a stream. A policy pass runs every "
                + "max(1, steps / --passes) steps (printed per stream). Stored bytes are read after every step (peak, "
                + "mean) and at the end (final). Prints a table (or --json: one line per run) and draws dAUC against "
                + "the compression ratio as a PNG (one panel per stream and model, one line per mode). Each dAUC "
                + "comes with its standard error (SE, delta_auc_se: DeLong's test, paired with the reference's "
                + "scores of the same events).",
                "A mode this build's PolicyMode refuses (e.g. hash before it lands) is reported as unavailable.",
                "Default selection: generated (100,000 events x 26 fields, drift at 1/4, 1/2, 3/4), ml-100k, "
                + "talkingdata-100k, avazu-sample, criteo-sample; deepfm and fm; modes hash, adaembed, fiited-manual, "
                + "fiited-adaptive, esapn, precision, all; budgets 1/2, 1/4, 1/10, 1/50, 1/200: 5 x 2 x (1 + 7 x 5) = "
                + "360 runs, 12-22 minutes on 2 shared cores here. The chart is "
                + "redrawn after every stream, so an interrupted run leaves the streams done so far.",
                "--quick: 20,000 generated events, fm, adaembed and fiited-adaptive at 1/4 and 1/10 (about 15 s).",
                "--shards S: the same runs through S in-process row shards (the reference stays one table); the shards' "
                + "bytes summed against the budget, the trainer's window cache not counted.",
                "Examples:",
                "  inflight bench compression --streams ml-100k,talkingdata-100k --models deepfm --budgets 10,50",
                "  inflight bench compression --streams ml-100k --models deepfm --modes adaembed,precision --shards 3",
                "  inflight bench compression --json > frontier.jsonl && inflight bench compression --replot frontier.jsonl",
                "  inflight bench compression --log day1.csv --format csv --map label=click --map categorical=a,b,c",
                ""})
final class BenchCompressionCommand implements Callable<Integer> {

    static final List<String> STREAMS = List.of("generated", "ml-100k", "talkingdata-100k", "avazu-sample",
            "criteo-sample");
    static final List<String> MODELS = List.of("lr", "fm", "dnn", "deepfm", "dcn");

    @Option(names = "--streams", split = ",", paramLabel = "NAME",
            description = "Streams: generated, ml-100k, talkingdata-100k, avazu-sample, criteo-sample (default: all; "
                    + "with --log: none but the log).")
    List<String> streams;

    @Option(names = "--models", split = ",", paramLabel = "MODEL", description = "Models (default: deepfm,fm).")
    List<String> models;

    @Option(names = "--modes", split = ",", paramLabel = "MODE",
            description = "Policy modes, passed as inflight.policy.mode (default: hash,adaembed,fiited-manual,"
                    + "fiited-adaptive,esapn,precision,all; fiited-2d also known).")
    List<String> modes;

    @Option(names = "--budgets", split = ",", paramLabel = "D",
            description = "Budgets as divisors of the reference's final table bytes, each > 1 (default: 2,4,10,50,200).")
    List<Integer> budgets;

    @Option(names = {"-n", "--events"}, description = "Events of the generated stream (default: 100000; --quick 20000).")
    Long events;

    @Option(names = "--fields", defaultValue = "26", description = "Fields of the generated stream (default: ${DEFAULT-VALUE}).")
    int fields;

    @Option(names = "--batch", defaultValue = "256", description = "Mini-batch size of every run (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--passes", defaultValue = "25",
            description = "Policy passes per run: inflight.policy.interval.steps = max(1, steps / passes) unless set with "
                    + "--set (default: ${DEFAULT-VALUE}).")
    int passes;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Store, policy or model setting for every run, e.g. --set inflight.policy.gamma=0.99 (repeatable); "
                    + "not the mode, budget, model type, fields, batch or row-shard settings.")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = "--data", defaultValue = "../shared/data", description = "Folder of the logs (default: ${DEFAULT-VALUE}).")
    Path data;

    @Mixin
    LogOptions logOptions = new LogOptions();

    @Option(names = "--criteo-integers", paramLabel = "BUCKETING", defaultValue = "criteo",
            description = "Criteo I1..I13 (criteo-sample and --log): criteo, log2, none or bounds:... (default: ${DEFAULT-VALUE}).")
    String criteoIntegers;

    @Option(names = "--seeds", split = ",", paramLabel = "S",
            description = "Run the whole selection once per seed, each setting inflight.seed and inflight.policy.seed "
                    + "(default: the configured seeds, one run per cell); the goals and the chart then use each cell's mean "
                    + "over the seeds, and a goal line gives the spread.")
    List<Long> seeds;

    @Option(names = "--shards", paramLabel = "S", defaultValue = "0",
            description = "Train every policy run (mode x budget) through S in-process row shards instead of one table "
                    + "(issue 16: each shard a store of its own running its policies under budget / S, reached by the "
                    + "trainer's encoded requests and replies through a window of W batches); the fp32 unlimited reference "
                    + "stays one table. Stored bytes are the sum of the shards' bytes, read after every request a shard "
                    + "handled, so peak and pk/bdg mean what they mean for one table; the trainer's window cache (a copy of "
                    + "the last W batches' rows) is not counted. Also reported: the largest shard's peak over its share "
                    + "(shpk, shard_peak_share). Modes the shards do not run (those acting in the trainer's step: hash, "
                    + "esapn, fiited-2d, all) are reported as skipped. 0 to 1024 (default: ${DEFAULT-VALUE}: one table).")
    int shards;

    @Option(names = "--shard-window", paramLabel = "W", defaultValue = "32",
            description = "With --shards: W, the batches whose rows the trainer keeps while their updates travel to the "
                    + "shards (batch b reads the shards' rows with the updates up to b - W, its window cache the rest, "
                    + "so training is exact whatever W; a shard changes only rows no request of the last W batches "
                    + "pulled). 1 to 256 (default: ${DEFAULT-VALUE}).")
    int shardWindow;

    @Option(names = "--png", paramLabel = "FILE", description = "The chart (default: target/compression.png).")
    Path png;

    @Option(names = "--json", description = "One JSON line per run instead of the table.")
    boolean json;

    @Option(names = "--replot", paramLabel = "FILE",
            description = "Train nothing: read the --json lines of an earlier run from FILE, print the table (or the lines) "
                    + "and draw the chart again.")
    Path replot;

    @Option(names = "--quick", description = "A small selection that runs in seconds (what the unit test runs).")
    boolean quick;

    @Override
    public Integer call() {
        if (replot != null) {
            return replot(png != null ? png : Path.of("target", "compression.png"));
        }
        List<String> s = streams != null ? streams : quick ? List.of("generated")
                : logOptions.isEmpty() ? STREAMS : List.of();
        List<String> ms = models != null ? models : quick ? List.of("fm") : List.of("deepfm", "fm");
        List<String> md = modes != null ? modes : quick ? List.of("adaembed", "fiited-adaptive")
                : CompressionBench.DEFAULT_MODES;
        List<Integer> bd = budgets != null ? budgets : quick ? List.of(4, 10) : List.of(2, 4, 10, 50, 200);
        long n = events != null ? events : quick ? 20_000 : 100_000;
        Path out = png != null ? png : Path.of("target", "compression.png");
        for (String x : s) {
            if (!STREAMS.contains(x)) {
                throw new IllegalArgumentException("--streams: unknown stream '" + x + "' (known: " + STREAMS + ")");
            }
        }
        for (String x : ms) {
            if (!MODELS.contains(x)) {
                throw new IllegalArgumentException("--models: unknown model '" + x + "' (known: " + MODELS + ")");
            }
        }
        for (String x : md) {
            if (!CompressionBench.KNOWN_MODES.contains(x)) {
                throw new IllegalArgumentException("--modes: unknown mode '" + x + "' (known: " + CompressionBench.KNOWN_MODES
                        + "; the reference, none, always runs)");
            }
        }
        for (int d : bd) {
            if (d <= 1) {
                throw new IllegalArgumentException("--budgets: a divisor must be > 1, got " + d);
            }
        }
        if (n < 1) {
            throw new IllegalArgumentException("--events must be >= 1, got " + n);
        }
        if (fields < 1 || fields > 1000) {
            throw new IllegalArgumentException("--fields must be in [1, 1000], got " + fields);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
        }
        if (passes < 1) {
            throw new IllegalArgumentException("--passes must be >= 1, got " + passes);
        }
        if (shards < 0 || shards > 1024) {
            throw new IllegalArgumentException("--shards must be in [0, 1024], got " + shards);
        }
        if (shardWindow < 1 || shardWindow > 256) {
            throw new IllegalArgumentException("--shard-window must be in [1, 256], got " + shardWindow);
        }
        if (seeds != null && (seeds.isEmpty() || seeds.stream().distinct().count() != seeds.size())) {
            throw new IllegalArgumentException("--seeds: give distinct seeds, got " + seeds);
        }
        for (String k : extra.keySet()) {
            if (seeds != null && (k.equals(InflightConfig.SEED) || k.equals(PolicySettings.SEED))) {
                throw new IllegalArgumentException("--set: " + k + " is chosen by --seeds");
            }
            if (k.startsWith("inflight.topology.shard") && CompressionBench.OWN_KEYS.contains(k)) {
                throw new IllegalArgumentException("--set: " + k + " is chosen by the bench (use --shards, --shard-window)");
            }
            if (CompressionBench.OWN_KEYS.contains(k)) {
                throw new IllegalArgumentException("--set: " + k + " is chosen by the bench (use --modes, --budgets, "
                        + "--models, --batch)");
            }
        }
        if (extra.containsKey(PolicySettings.INTERVAL_STEPS)) {
            // read before the settings are validated (it sets the bench's pass interval), so checked first
            try {
                PolicySettings.fromMap(Map.of(PolicySettings.INTERVAL_STEPS, extra.get(PolicySettings.INTERVAL_STEPS)));
            } catch (ConfigException e) {
                throw new IllegalArgumentException("--set: " + e.getMessage(), e);
            }
        }
        Bucketing integers;
        try {
            integers = Bucketing.parse(criteoIntegers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--criteo-integers: " + e.getMessage(), e);
        }
        if (s.stream().anyMatch(x -> !x.equals("generated")) && !Files.isDirectory(data)) {
            throw new IllegalArgumentException("--data: " + data.toAbsolutePath() + " is not a directory (the logs of "
                    + s.stream().filter(x -> !x.equals("generated")).toList() + ")");
        }
        if (s.isEmpty() && logOptions.isEmpty()) {
            throw new IllegalArgumentException("--streams: nothing to run");
        }
        var options = new CompressionBench.Options(ms, md, bd, batch, 16, "4,4,4,4", List.of(400, 400), passes, extra,
                shards, shardWindow);
        // validate every setting once before the first run (an unknown key fails here, with exit 2)
        try {
            InflightConfig.parse(CompressionBench.configFor(options, ms.get(0)));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("--set: " + e.getMessage(), e);
        }
        PrintStream log = System.err;
        long t0 = System.nanoTime();
        // a --log is read (and its options checked) before anything runs
        LogOptions.Log read = logOptions.isEmpty() ? null : logOptions.read(integers, log);
        CompressionBench.Stream custom = read == null ? null : CompressionBench.of(read.name(), read.description(),
                read.events());
        List<CompressionBench.Run> runs = new ArrayList<>();
        if (!json) {
            System.out.println(CompressionOutput.header());
        }
        List<CompressionBench.Stream> selected = new ArrayList<>();
        for (String x : s) {
            selected.add(x.equals("generated") ? CompressionBench.generated(n, fields, 17) : null);
        }
        for (int i = 0; i < s.size(); i++) {
            CompressionBench.Stream stream = selected.get(i);
            if (stream == null) {
                stream = logStream(s.get(i), integers, log);
            }
            runSeeds(stream, options, log, runs);
            // redrawn after every stream: a partial run leaves a picture
            CompressionChart.write(CompressionBench.meanOverSeeds(runs), title(bd, shards, shardWindow), out);
        }
        if (custom != null) {
            runSeeds(custom, options, log, runs);
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        if (!json) {
            System.out.println(CompressionOutput.LEGEND);
        }
        CompressionChart.write(CompressionBench.meanOverSeeds(runs), title(bd, shards, shardWindow), out);
        printGoals(runs);
        log.printf(Locale.ROOT, "[compression] %d runs in %.1f min; chart %s%n", runs.size(), minutes, out.toAbsolutePath());
        return 0;
    }

    private int replot(Path out) {
        List<String> lines;
        try {
            lines = Files.readAllLines(replot).stream().filter(l -> l.trim().startsWith("{")).toList();
        } catch (IOException e) {
            throw new IllegalArgumentException("--replot: cannot read " + replot + ": " + e.getMessage(), e);
        }
        List<CompressionBench.Run> runs = new ArrayList<>();
        for (String l : lines) {
            try {
                runs.add(CompressionOutput.fromJson(l));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--replot: " + e.getMessage(), e);
            }
        }
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("--replot: no JSON lines in " + replot);
        }
        if (json) {
            lines.forEach(System.out::println);
        } else {
            System.out.println(CompressionOutput.table(runs));
        }
        List<Integer> bd = runs.stream().map(CompressionBench.Run::divisor).filter(d -> d > 0).distinct().sorted().toList();
        CompressionBench.Run sharded = runs.stream().filter(r -> r.shards() > 0).findFirst().orElse(null);
        CompressionChart.write(CompressionBench.meanOverSeeds(runs), title(bd, sharded == null ? 0 : sharded.shards(),
                sharded == null ? 0 : sharded.shardWindow()), out);
        printGoals(runs);
        System.err.printf(Locale.ROOT, "[compression] %d runs from %s; chart %s%n", runs.size(), replot, out.toAbsolutePath());
        return 0;
    }

    /** The goals of issue 18 over the runs: after the table on stdout, or on stderr with --json (stdout stays JSON lines). */
    private void printGoals(List<CompressionBench.Run> runs) {
        PrintStream to = json ? System.err : System.out;
        CompressionGoals.check(runs, 5).forEach(to::println);
    }

    private String title(List<Integer> bd, int s, int w) {
        return String.format(Locale.ROOT, "D = 16 in chunks 4,4,4,4, batch %d, one pass, progressive AUC; "
                + "budgets 1/%s of the fp32 unlimited reference's final table bytes%s", batch,
                bd.stream().map(String::valueOf).collect(Collectors.joining(", 1/")),
                s == 0 ? "" : String.format(Locale.ROOT, "; policy runs through %d row shards, W = %d", s, w));
    }

    /** The stream's runs once, or once per seed of {@code --seeds}. */
    private void runSeeds(CompressionBench.Stream stream, CompressionBench.Options options, PrintStream log,
                          List<CompressionBench.Run> runs) {
        if (seeds == null) {
            runStream(stream, options, log, runs);
            return;
        }
        for (long seed : seeds) {
            log.printf(Locale.ROOT, "[compression] %s: seed %d%n", stream.name(), seed);
            runStream(stream, CompressionBench.withSeed(options, seed), log, runs);
        }
    }

    private void runStream(CompressionBench.Stream stream, CompressionBench.Options options, PrintStream log,
                           List<CompressionBench.Run> runs) {
        List<CompressionBench.Run> got = CompressionBench.run(stream, options, log, r -> {
            System.out.println(json ? CompressionOutput.json(r) : CompressionOutput.line(r));
            System.out.flush();
        });
        runs.addAll(got);
    }

    private CompressionBench.Stream logStream(String name, Bucketing integers, PrintStream log) {
        BaselinesBench.Dataset d = BaselinesBench.DATASETS.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--streams: unknown stream '" + name + "'"));
        List<ClickEvent> ev = BaselinesBench.read(d, data, integers, log);
        return CompressionBench.of(name, String.format(Locale.ROOT, "%,d events from %s", ev.size(), data.resolve(d.path())),
                ev);
    }
}
