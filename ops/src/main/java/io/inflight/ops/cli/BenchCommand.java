package io.inflight.ops.cli;

import io.inflight.ops.bench.BaselinesBench;
import io.inflight.ops.bench.PolicyBench;
import io.inflight.ops.bench.RecoveryBench;
import io.inflight.ops.bench.ServeBench;
import io.inflight.ops.bench.StoreBench;
import io.inflight.ops.bench.TrainerBench;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.serve.ServeEndpoint;
import io.inflight.policies.PolicyMode;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.logs.Bucketing;
import io.inflight.trainer.model.BatchModels;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks and checks that print figures (--json: one JSON line).",
        subcommands = {BenchCommand.Recovery.class, BenchCommand.Trainer.class, BenchCommand.Baselines.class,
                BenchCommand.Store.class, BenchCommand.Policies.class, BenchCommand.Serve.class,
                BenchCompressionCommand.class, BenchScaleCommand.class, BenchStalenessCommand.class})
final class BenchCommand {

    /** Where a bench prints its progress: nowhere with --json, whose one line is all it prints. */
    static PrintStream progress(boolean json) {
        return json ? new PrintStream(OutputStream.nullOutputStream()) : System.out;
    }

    /** A bench run against a cluster, given its bootstrap servers (null: it needs none); returns the exit code. */
    @FunctionalInterface
    interface ClusterRun {
        int run(String bootstrap) throws Exception;
    }

    /**
     * Empties {@code workDir}, then runs {@code run} against {@code bootstrap} or, when that is null
     * and a cluster is {@code needed}, against an embedded broker in {@code workDir/broker}, started
     * for the run and closed after it.
     */
    static int onCluster(String bootstrap, boolean needed, Path workDir, ClusterRun run) throws Exception {
        DemoCommand.deleteRecursively(workDir);
        EmbeddedBroker broker = needed && bootstrap == null ? EmbeddedBroker.start(workDir.resolve("broker"), 0, 0) : null;
        try {
            return run.run(bootstrap != null ? bootstrap : broker != null ? broker.bootstrapServers() : null);
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Command(name = "recovery", mixinStandardHelpOptions = true,
            description = {"Exactly-once under SIGKILL: model hashes, events lost / twice, resume time.",
                    "Trains a generated stream once uninterrupted and once in child JVMs killed with SIGKILL at random "
                    + "points; prints both model hashes, events lost / applied twice, restart-to-resume time."})
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

        @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
                description = "Trainer setting for both runs, e.g. --set inflight.model.fields=f0,f1,f2 (repeatable).")
        Map<String, String> trainer = new LinkedHashMap<>();

        @Override
        public Integer call() throws Exception {
            if (events < 1) {
                throw new IllegalArgumentException("--events must be >= 1, got " + events);
            }
            if (kills < 0 || kills > 100) {
                throw new IllegalArgumentException("--kills must be in [0, 100], got " + kills);
            }
            return onCluster(bootstrap, true, workDir, this::run);
        }

        private int run(String servers) throws Exception {
            RecoveryBench.Result r = new RecoveryBench(servers, workDir, progress(json)).run(events, kills, seed, trainer);
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
                if (r.publishedRows() >= 0) {
                    System.out.printf(Locale.ROOT, "published rows         %,d rows, %d whose latest update differs%n",
                            r.publishedRows(), r.publicationMismatches());
                }
            }
            return r.identical() && r.lost() == 0 && r.appliedTwice() == 0 && r.publicationMismatches() <= 0 ? 0 : 1;
        }
    }

    @Command(name = "trainer", mixinStandardHelpOptions = true,
            description = {"Training throughput: in-process loop vs the exactly-once Kafka pipeline.",
                    "The in-process loop (no Kafka) and the full Kafka Streams pipeline with exactly-once on a broker, "
                    + "per model and batch size, on one generated stream; prints the ratio."})
    static final class Trainer implements Callable<Integer> {

        @Option(names = "--models", split = ",", defaultValue = "lr,fm,deepfm,dnn",
                description = "Model types (default: ${DEFAULT-VALUE}).")
        List<String> models;

        @Option(names = "--batches", split = ",", defaultValue = "256,1024", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> batches;

        @Option(names = {"-n", "--events"}, defaultValue = "200000", description = "Events per run (default: ${DEFAULT-VALUE}).")
        long events;

        @Option(names = "--fields", defaultValue = "26", description = "Categorical fields (default: ${DEFAULT-VALUE}).")
        int fields;

        @Option(names = "--dim", defaultValue = "16", description = "Embedding dimension (default: ${DEFAULT-VALUE}).")
        int dim;

        @Option(names = "--hidden", split = ",", defaultValue = "400,400", description = "MLP sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> hidden;

        @Option(names = "--no-pipeline", description = "Only the in-process loop.")
        boolean noPipeline;

        @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
                description = "Setting for every pipeline run, e.g. --set streams.commit.interval.ms=1000 (repeatable); "
                        + "inflight.store.* and inflight.policy.* settings apply to the in-process loop too.")
        Map<String, String> extra = new LinkedHashMap<>();

        @Option(names = {"-b", "--bootstrap-servers"}, description = "Use this cluster instead of an embedded broker.")
        String bootstrap;

        @Option(names = "--work-dir", defaultValue = ".inflight/bench-trainer",
                description = "State directory, emptied at start (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Option(names = "--json", description = "Print one JSON line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (events < 1 || fields < 1 || dim < 1) {
                throw new IllegalArgumentException("--events, --fields and --dim must be >= 1, got " + events + ", "
                        + fields + ", " + dim);
            }
            return onCluster(bootstrap, !noPipeline, workDir, this::run);
        }

        private int run(String servers) throws Exception {
            var rows = new TrainerBench(servers, workDir, BatchModels::create, progress(json))
                    .run(models, batches, events, fields, dim, hidden, !noPipeline, extra);
            if (json) {
                System.out.println(TrainerBench.json(rows, events, fields, dim));
            } else {
                System.out.printf(Locale.ROOT, "%-8s %6s %14s %14s %7s %14s %14s %7s %8s%n", "model", "batch",
                        "in-process ev/s", "pipeline ev/s", "ratio", "in-proc steady", "pipe steady", "ratio", "AUC");
                for (var r : rows) {
                    System.out.printf(Locale.ROOT, "%-8s %6d %14.0f %14.0f %7.2f %14.0f %14.0f %7.2f %8.4f%n", r.model(),
                            r.batch(), r.inProcessEventsPerSecond(), r.pipelineEventsPerSecond(), r.ratio(),
                            r.inProcessSteady(), r.pipelineSteady(), r.steadyRatio(), r.inProcessAuc());
                }
                System.out.println("steady: after the first quarter of the events on both sides (JIT warm-up; in the "
                        + "pipeline also the broker's and Kafka clients' code)");
            }
            return 0;
        }
    }

    @Command(name = "baselines", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
            description = {"Uncompressed baselines on the real logs in ../shared/data, or on any log replay reads.",
                    "Progressive AUC, log-loss, NE and calibration of each model at full precision and fixed "
                    + "dimension, one pass in file order (a --log: merged by time, as replay reads it). --set changes "
                    + "the store, the policies or the model of every run.",
                    "Examples:",
                    "  inflight bench baselines --datasets ml-100k --models lr,fm",
                    "  inflight bench baselines --log day1.csv --format csv --map label=click --map categorical=a,b,c",
                    "  inflight bench baselines --datasets criteo-sample --set inflight.store.precision=int8",
                    ""})
    static final class Baselines implements Callable<Integer> {

        static final String DATASETS = "criteo-sample,avazu-sample,ml-100k,talkingdata-100k";

        @Option(names = "--data", defaultValue = "../shared/data", description = "Folder of the logs (default: ${DEFAULT-VALUE}).")
        Path data;

        @Option(names = "--datasets", split = ",", paramLabel = "NAME",
                description = "Logs in --data (default: " + DATASETS + "; with --log: none but the log).")
        List<String> datasets;

        @Mixin
        LogOptions logOptions = new LogOptions();

        @Option(names = "--models", split = ",", defaultValue = "lr,fm,dnn,deepfm,dcn", description = "Models (default: ${DEFAULT-VALUE}).")
        List<String> models;

        @Option(names = "--dim", defaultValue = "16", description = "Embedding dimension (default: ${DEFAULT-VALUE}).")
        int dim;

        @Option(names = "--batch", defaultValue = "256", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--hidden", split = ",", defaultValue = "400,400", description = "MLP sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> hidden;

        @Option(names = "--dense-lr", description = "Learning rate of the dense optimizer (default: each model's, "
                + "inflight.model.dense.learning.rate).")
        Double denseLr;

        @Option(names = "--embedding-lr", description = "Row-wise Adagrad learning rate (default: each model's, "
                + "inflight.model.learning.rate).")
        Double embeddingLr;

        @Option(names = "--criteo-integers", paramLabel = "BUCKETING", defaultValue = "criteo",
                description = "Criteo I1..I13 (criteo-sample and a criteo --log): criteo (floor(ln(x)^2) categories), "
                        + "log2 or bounds:b1|b2|... (categorical fields), or none: numeric fields fed to the MLP of dnn, "
                        + "deepfm and dcn with the signed log (lr and fm train without them) (default: ${DEFAULT-VALUE}).")
        String criteoIntegers;

        @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
                description = "Store, policy or model setting for every run, e.g. --set inflight.store.precision=int8 or "
                        + "--set inflight.policy.mode=adaembed (repeatable); not the model type, fields, dimension, "
                        + "batch, hidden sizes or learning rates (their options).")
        Map<String, String> extra = new LinkedHashMap<>();

        @Option(names = "--json", description = "Print one JSON line.")
        boolean json;

        @Override
        public Integer call() {
            List<String> sets = datasets != null ? datasets : logOptions.isEmpty() ? List.of(DATASETS.split(",")) : List.of();
            var known = BaselinesBench.DATASETS.stream().map(d -> d.name()).toList();
            for (String d : sets) {
                if (!known.contains(d)) {
                    throw new IllegalArgumentException("--datasets: unknown log " + d + " (known: " + known + ")");
                }
            }
            for (String m : models) {
                if (!BenchCompressionCommand.MODELS.contains(m)) {
                    throw new IllegalArgumentException("--models: unknown model '" + m + "' (known: "
                            + BenchCompressionCommand.MODELS + ")");
                }
            }
            Bucketing integers;
            try {
                integers = Bucketing.parse(criteoIntegers);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--criteo-integers: " + e.getMessage(), e);
            }
            for (String k : extra.keySet()) {
                if (BaselinesBench.OWN_KEYS.contains(k)) {
                    throw new IllegalArgumentException("--set: " + k + " is chosen by the bench (use --models, --dim, "
                            + "--batch, --hidden, --dense-lr, --embedding-lr)");
                }
            }
            var settings = new BaselinesBench.Settings(dim, batch, hidden, denseLr, embeddingLr, 1e-6,
                    42L, integers, extra);
            // every model's settings checked once before the first run: a bad key or value exits 2 naming it
            for (String model : models) {
                try {
                    BaselinesBench.config(settings, model, List.of("f0"), List.of());
                } catch (ConfigException | IllegalArgumentException e) {
                    throw new IllegalArgumentException((extra.isEmpty() ? "" : "--set: ") + e.getMessage(), e);
                }
            }
            if (sets.isEmpty() && logOptions.isEmpty()) {
                throw new IllegalArgumentException("--datasets: nothing to run");
            }
            PrintStream progress = progress(json);
            Map<String, List<ClickEvent>> logs = new LinkedHashMap<>();
            if (!logOptions.isEmpty()) {
                LogOptions.Log log = logOptions.read(integers, System.err);
                System.err.println("[baselines] " + log.name() + ": " + log.description());
                logs.put(log.name(), log.events());
            }
            progress.println(BaselinesBench.header());
            var rows = BaselinesBench.run(data, sets, logs, models, settings, progress);
            if (json) {
                System.out.println(BaselinesBench.json(rows, settings));
            }
            return 0;
        }
    }

    @Command(name = "store", mixinStandardHelpOptions = true,
            description = {"Embedding store: throughput, bytes per row, capacity, quantization error.",
                    "Gather+scatter keys/s of a 256 x 26 batch at D = 16, 32, 64 and fp32, int8, int4 "
                    + "(all hot, and 10%% of lookups from RocksDB); bytes per row against fp32 and FIITED's 3K/D; "
                    + "hot-tier capacity (heap + off-heap per row); per-row vs per-chunk quantization scale error."})
    static final class Store implements Callable<Integer> {

        @Option(names = "--batches", defaultValue = "60", description = "Timed batches per case (default: ${DEFAULT-VALUE}).")
        int batches;

        @Option(names = "--capacity-rows", split = ",", defaultValue = "1000000,10000000",
                description = "Rows of the capacity test (default: ${DEFAULT-VALUE}); 10M needs about 3 GB of heap.")
        long[] capacityRows;

        @Option(names = "--work-dir", defaultValue = ".inflight/bench-store",
                description = "RocksDB directory, emptied at start (default: ${DEFAULT-VALUE}).")
        Path workDir;

        @Option(names = "--json", description = "Print one JSON line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (batches < 1) {
                throw new IllegalArgumentException("--batches must be >= 1, got " + batches);
            }
            DemoCommand.deleteRecursively(workDir);
            var result = StoreBench.run(
                    new StoreBench.Options(batches, capacityRows, workDir));
            System.out.println(json ? result.json() : result.table());
            return 0;
        }
    }

    @Command(name = "policies", mixinStandardHelpOptions = true,
            description = {"Policies alone and together under byte budgets on a generated stream.",
                    "Zipf keys and a drifting hot set; for each policy alone and all "
                    + "together at budgets of 1/4, 1/10 and 1/50 of the uncompressed table, peak and final bytes, chunks "
                    + "pruned / re-allocated, rows evicted / admitted / grown, promotions / demotions, pass time."})
    static final class Policies implements Callable<Integer> {

        @Option(names = {"-n", "--events"}, defaultValue = "2000000", description = "Events (default: ${DEFAULT-VALUE}).")
        long events;

        @Option(names = "--modes", split = ",", description = "Policy modes (default: every mode alone and all).")
        List<String> modes;

        @Option(names = "--budgets", split = ",", defaultValue = "4,10,50",
                description = "Budgets as divisors of the uncompressed table (default: ${DEFAULT-VALUE}).")
        List<Integer> budgets;

        @Option(names = "--small", description = "The reduced configuration of the tests (40k events, 8 fields).")
        boolean small;

        @Option(names = "--json", description = "Print one JSON line per run.")
        boolean json;

        @Override
        public Integer call() {
            var base = small ? PolicyBench.Options.small()
                    : PolicyBench.Options.full();
            var chosen = modes == null ? base.modes()
                    : modes.stream().map(PolicyMode::parse).toList();
            var o = new PolicyBench.Options(small ? base.events() : events, base.fields(),
                    base.keysPerField(), base.zipf(), base.dim(), base.chunks(), base.batch(), base.intervalSteps(),
                    base.gamma(), base.sampleSize(), base.driftEvents(), base.driftShift(), base.observedEvents(),
                    base.seed(), chosen, budgets);
            var results = PolicyBench.run(o);
            if (json) {
                results.forEach(r -> System.out.println(r.toJson()));
            } else {
                System.out.println(PolicyBench.table(results));
            }
            return 0;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"The serving replica's HTTP front under load, in-process (no Kafka).",
                    "A replica filled with synthetic rows behind the serve endpoint; requests/s and p50/p99 latency "
                    + "of /score at each number of concurrent clients, with and without one slow client present "
                    + "(a socket that sends its request body at 1 byte/s). Exit 1 when a request failed."})
    static final class Serve implements Callable<Integer> {

        @Option(names = "--clients", split = ",", defaultValue = "1,64,1000",
                description = "Concurrent clients of each case (default: ${DEFAULT-VALUE}).")
        List<Integer> clients;

        @Option(names = "--seconds", defaultValue = "5", description = "Load time of each case (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--warmup-seconds", defaultValue = "3",
                description = "Load at 64 clients before the first case, not reported (default: ${DEFAULT-VALUE}).")
        double warmupSeconds;

        @Option(names = "--model-type", defaultValue = "fm", description = "Model served (default: ${DEFAULT-VALUE}).")
        String modelType;

        @Option(names = "--fields", defaultValue = "8", description = "Categorical fields (default: ${DEFAULT-VALUE}).")
        int fields;

        @Option(names = "--vocabulary", defaultValue = "10000",
                description = "Values per field, each with a row (default: ${DEFAULT-VALUE}).")
        int vocabulary;

        @Option(names = "--dim", defaultValue = "8", description = "Embedding dimension (default: ${DEFAULT-VALUE}).")
        int dim;

        @Mixin
        HttpServerOptions http;

        @Option(names = "--json", description = "Print one JSON line.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 10_000)) {
                throw new IllegalArgumentException("--clients must each be in [1, 10000], got " + clients);
            }
            if (!(seconds > 0 && seconds <= 3_600) || !(warmupSeconds >= 0 && warmupSeconds <= 3_600)) {
                throw new IllegalArgumentException("--seconds must be in (0, 3600] and --warmup-seconds in [0, 3600], got "
                        + seconds + ", " + warmupSeconds);
            }
            if (fields < 1 || vocabulary < 1 || dim < 1) {
                throw new IllegalArgumentException("--fields, --vocabulary and --dim must be >= 1, got " + fields + ", "
                        + vocabulary + ", " + dim);
            }
            ServeEndpoint.Options server = http.endpoint("127.0.0.1", 0, ServeEndpoint.Options.DEFAULT_MAX_BODY_BYTES,
                    EventLimits.DEFAULTS);
            var result = ServeBench.run(new ServeBench.Options(clients, seconds,
                    warmupSeconds, modelType, fields, vocabulary, dim, server), progress(json));
            System.out.println(json ? result.json() : result.table());
            return result.errors() == 0 ? 0 : 1;
        }
    }
}
