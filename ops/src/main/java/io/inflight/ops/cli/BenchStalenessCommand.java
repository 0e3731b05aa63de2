package io.inflight.ops.cli;

import io.inflight.ops.bench.BaselinesBench;
import io.inflight.ops.bench.CompressionBench;
import io.inflight.ops.bench.StalenessBench;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.logs.Bucketing;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "staleness", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"What row staleness and data-parallel dense training cost in AUC, in-process (issue 16).",
                "Per stream and model, one pass in stream order with progressive AUC, exactly the topology's training "
                + "step (policy mode none, fp32 rows of the model's D = 16, batch 256), with two changes a sharded "
                + "trainer brings: a window W (batch b's row reads see the row updates of batches <= b-W only; W=1 is "
                + "today's trainer, the reference) and T trainers (batches dealt round-robin in stream order to T model "
                + "replicas sharing one row table, W counted in global batches; every N batches of each replica their "
                + "dense parameters are averaged into every replica, each keeping its own optimizer state).",
                "Per cell: AUC, dAUC against W=1 T=1 with its standard error (DeLong, paired on the same events), "
                + "events/s, mean distinct keys per batch and a wire-cost model for S = 1, 4, 16 row shards: bytes "
                + "per event = (keys per batch x (8 pull + 8+4+4 x stride push + 4 x stride reply) + 2 x S x 70 "
                + "record overhead) / events per batch, stride = D + 1 floats; and the dense averaging's bytes per "
                + "event (8 x parameters / (N x events per batch)).",
                "Default selection: generated (100,000 events x 26 fields, drift at 1/4, 1/2, 3/4), ml-100k and "
                + "talkingdata-100k; deepfm; W = 1, 2, 4, 8, 16 with T = 1, plus T = 2, 4 x N = 1, 10, 100 at W = 4: "
                + "3 x 11 = 33 runs, about 3.5 minutes on 2 shared cores here.",
                "--quick: 5,000 generated events, deepfm, W = 1, 4 with T = 1 and T = 2 x N = 10 at W = 4 "
                + "(3 runs, what the unit test runs).",
                "Progress lines go to stderr. Exits 1 when a run failed (its line says why), 2 on a bad flag.",
                "Examples:",
                "  inflight bench staleness --json > staleness.jsonl",
                "  inflight bench staleness --streams ml-100k --windows 1,32,64 --trainers 1,8 --sync 1,1000",
                "  inflight bench staleness --streams generated --trainers 1 --set inflight.model.learning.rate=0.0125",
                ""})
final class BenchStalenessCommand implements Callable<Integer> {

    @Option(names = "--streams", split = ",", paramLabel = "NAME",
            description = "Streams: generated, ml-100k, talkingdata-100k, avazu-sample, criteo-sample (default: "
                    + "generated,ml-100k,talkingdata-100k; --quick generated).")
    List<String> streams;

    @Option(names = "--models", split = ",", paramLabel = "MODEL",
            description = "Models: lr, fm, dnn, deepfm, dcn (default: deepfm).")
    List<String> models;

    @Option(names = {"-n", "--events"}, description = "Events of the generated stream (default: 100000; --quick 5000).")
    Long events;

    @Option(names = "--fields", defaultValue = "26", description = "Fields of the generated stream (default: ${DEFAULT-VALUE}).")
    int fields;

    @Option(names = "--batch", defaultValue = "256", description = "Mini-batch size of every run (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--windows", split = ",", paramLabel = "W",
            description = "Windows run with one trainer, each >= 1 (default: 1,2,4,8,16; --quick 1,4).")
    List<Integer> windows;

    @Option(names = "--trainers", split = ",", paramLabel = "T",
            description = "Trainer counts; each above 1 runs with every --sync at --dp-window (default: 1,2,4; "
                    + "--quick 1,2).")
    List<Integer> trainers;

    @Option(names = "--sync", split = ",", paramLabel = "N",
            description = "Batches of each replica between dense averages, each >= 1 (default: 1,10,100; --quick 10).")
    List<Integer> sync;

    @Option(names = "--dp-window", defaultValue = "4",
            description = "The window of the runs with more than one trainer (default: ${DEFAULT-VALUE}).")
    int dpWindow;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Model or store setting for every run, e.g. --set inflight.model.learning.rate=0.01 "
                    + "(repeatable); not the policy mode, budget, model type, fields or batch.")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = "--data", defaultValue = "../shared/data", description = "Folder of the logs (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--json", description = "One JSON line per run instead of the table.")
    boolean json;

    @Option(names = "--quick", description = "A small selection that runs in seconds (what the unit test runs).")
    boolean quick;

    @Override
    public Integer call() {
        List<String> s = streams != null ? streams : quick ? List.of("generated")
                : List.of("generated", "ml-100k", "talkingdata-100k");
        List<String> ms = models != null ? models : List.of("deepfm");
        long n = events != null ? events : quick ? 5_000 : 100_000;
        for (String x : s) {
            if (!BenchCompressionCommand.STREAMS.contains(x)) {
                throw new IllegalArgumentException("--streams: unknown stream '" + x + "' (known: "
                        + BenchCompressionCommand.STREAMS + ")");
            }
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("--streams: nothing to run");
        }
        for (String x : ms) {
            if (!BenchCompressionCommand.MODELS.contains(x)) {
                throw new IllegalArgumentException("--models: unknown model '" + x + "' (known: "
                        + BenchCompressionCommand.MODELS + ")");
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
        List<StalenessBench.Cell> cells = StalenessBench.grid(
                windows != null ? windows : quick ? List.of(1, 4) : List.of(1, 2, 4, 8, 16),
                trainers != null ? trainers : quick ? List.of(1, 2) : List.of(1, 2, 4),
                sync != null ? sync : quick ? List.of(10) : List.of(1, 10, 100), dpWindow);
        if (s.stream().anyMatch(x -> !x.equals("generated")) && !Files.isDirectory(data)) {
            throw new IllegalArgumentException("--data: " + data.toAbsolutePath() + " is not a directory (the logs of "
                    + s.stream().filter(x -> !x.equals("generated")).toList() + ")");
        }
        for (String k : extra.keySet()) {
            if (CompressionBench.OWN_KEYS.contains(k)) {
                throw new IllegalArgumentException("--set: " + k + " is chosen by the bench (use --models, --batch)");
            }
        }
        var options = new StalenessBench.Options(ms, batch, 16, List.of(400, 400), cells, extra);
        // every model's settings checked once before the first run: a bad key or value exits 2 naming it
        CompressionBench.Stream probe = new CompressionBench.Stream("probe", "", List.of("f0"), List.of(), 1,
                List.<ClickEvent>of()::iterator);
        for (String m : ms) {
            try {
                StalenessBench.settings(probe, m, options);
            } catch (ConfigException e) {
                throw new IllegalArgumentException("--set: " + e.getMessage(), e);
            }
        }
        PrintStream log = System.err;
        long t0 = System.nanoTime();
        if (!json) {
            System.out.println(StalenessBench.header());
        }
        List<StalenessBench.Run> runs = new ArrayList<>();
        for (String x : s) {
            CompressionBench.Stream stream = x.equals("generated") ? CompressionBench.generated(n, fields, 17)
                    : logStream(x, log);
            runs.addAll(StalenessBench.run(stream, options, log, r -> {
                System.out.println(json ? StalenessBench.json(r) : StalenessBench.line(r));
                System.out.flush();
            }));
        }
        if (!json) {
            System.out.println(StalenessBench.LEGEND);
        }
        log.printf(Locale.ROOT, "[staleness] %d runs in %.1f min%n", runs.size(), (System.nanoTime() - t0) / 60e9);
        return runs.stream().allMatch(StalenessBench.Run::ok) ? 0 : 1;
    }

    private CompressionBench.Stream logStream(String name, PrintStream log) {
        BaselinesBench.Dataset d = BaselinesBench.DATASETS.stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("--streams: unknown stream '" + name + "'"));
        List<ClickEvent> ev = BaselinesBench.read(d, data, Bucketing.parse("criteo"), log);
        return CompressionBench.of(name, String.format(Locale.ROOT, "%,d events from %s", ev.size(), data.resolve(d.path())),
                ev);
    }
}
