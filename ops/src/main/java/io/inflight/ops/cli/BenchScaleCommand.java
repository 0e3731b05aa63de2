package io.inflight.ops.cli;

import io.inflight.ops.bench.ScaleBench;
import io.inflight.trainer.config.InflightConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scale", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"One model from many partitions, scale-out over instances and failover by SIGKILL.",
                "Every trainer instance is a child JVM (inflight train) with its own state directory; all share the "
                + "broker (embedded unless --bootstrap-servers). The same generated events are trained (a) through a "
                + "1-partition clicks topic, (c) through a 4-partition topic as 4 separate replicas "
                + "(inflight.topology.models=per-partition) and (b) through a 4-partition topic as one model (one) by "
                + "1, 2 and 3 instances, and (d) as (b) with the rows in 3 row shards (inflight.topology.shards=3, 32 "
                + "batches in flight unless --set inflight.topology.shard.window=W); then one of 3 instances of (b) is killed with SIGKILL once training is under "
                + "way, without and with a standby replica (num.standby.replicas=1), and the rest of the input produced.",
                "Prints per run: the exact AUC of every committed prediction (scored before learning; for (c) pooled over "
                + "the 4 replicas), events/s between the first and the last prediction, the broker's log bytes of the "
                + "run's topics per event (Streams-internal topics included), all instances' CPU time per event; per "
                + "failover: the seconds from the kill to the moved tasks' first committed progress (the consumer "
                + "group's session timeout, 10 s by Inflight's default, is most of it) and events lost or scored twice.",
                "Default: 100,000 events, deepfm, batch 256: about 5 minutes on 2 shared cores here. --quick: 8,000 "
                + "events, fm, batch 50 (about 3 minutes, mostly JVM starts and the two failover detections).",
                "Examples:",
                "  inflight bench scale --json",
                "  inflight bench scale -n 20000 --model fm --no-failover",
                "  inflight bench scale --set streams.session.timeout.ms=10000",
                ""})
final class BenchScaleCommand implements Callable<Integer> {

    /** Models the bench takes (those of inflight.model.type). */
    static final List<String> MODELS = BenchCompressionCommand.MODELS;
    /** Settings the bench chooses itself. */
    static final Set<String> OWN_KEYS = Set.of(InflightConfig.BOOTSTRAP_SERVERS, InflightConfig.TOPIC_PREFIX,
            InflightConfig.APPLICATION_ID, InflightConfig.TOPIC_PARTITIONS, InflightConfig.MODEL_TYPE,
            InflightConfig.MODEL_FIELDS, InflightConfig.BATCH_SIZE, InflightConfig.PREDICTIONS_ENABLED,
            InflightConfig.STATE_DIR, ScaleBench.TOPOLOGY_MODELS, "streams.num.standby.replicas", "streams.client.id",
            InflightConfig.TOPOLOGY_SHARDS);

    @Option(names = {"-n", "--events"}, description = "Generated events (default: 100000; --quick 8000), rounded down to "
            + "whole batches in each of the 4 partitions.")
    Long events;

    @Option(names = "--model", description = "Model: lr, fm, dnn, deepfm or dcn (default: deepfm; --quick fm).")
    String model;

    @Option(names = "--batch", description = "Mini-batch size (default: 256; --quick 50).")
    Integer batch;

    @Option(names = "--instances", split = ",", description = "Instance counts of the one-model runs (default: 1,2,3).")
    List<Integer> instances;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated stream (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-failover", description = "Skip the two SIGKILL runs.")
    boolean noFailover;

    @Option(names = "--quick", description = "A small run: 8,000 events, fm, batch 50.")
    boolean quick;

    @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE",
            description = "Setting for every instance, e.g. --set streams.session.timeout.ms=10000 (repeatable); not the "
                    + "topics, application id, model type, fields, batch, partitions, topology or standbys.")
    Map<String, String> extra = new LinkedHashMap<>();

    @Option(names = {"-b", "--bootstrap-servers"}, description = "Use this cluster instead of an embedded broker.")
    String bootstrap;

    @Option(names = "--work-dir", defaultValue = ".inflight/bench-scale",
            description = "State and log directories of the instances, emptied at start (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--json", description = "Print one JSON line instead of the table (progress still goes to stderr).")
    boolean json;

    /** The options as the bench takes them, checked; throws IllegalArgumentException naming the flag. */
    ScaleBench.Options options() {
        long n = events != null ? events : quick ? 8_000 : 100_000;
        String m = model != null ? model : quick ? "fm" : "deepfm";
        int b = batch != null ? batch : quick ? 50 : 256;
        List<Integer> k = instances != null ? instances : List.of(1, 2, 3);
        if (!MODELS.contains(m)) {
            throw new IllegalArgumentException("--model: unknown model '" + m + "' (known: " + MODELS + ")");
        }
        if (b < 1 || b > 65_536) {
            throw new IllegalArgumentException("--batch must be in [1, 65536], got " + b);
        }
        if (n < 4L * b || n > 20_000_000) {
            throw new IllegalArgumentException("--events must be in [" + 4L * b + " (4 partitions x --batch), 20000000], got "
                    + n);
        }
        if (k.isEmpty() || k.stream().anyMatch(x -> x < 1 || x > 8)) {
            throw new IllegalArgumentException("--instances: each count must be in [1, 8], got " + k);
        }
        for (String key : extra.keySet()) {
            if (OWN_KEYS.contains(key)) {
                throw new IllegalArgumentException("--set: " + key + " is chosen by the bench");
            }
        }
        ScaleBench.Options o = new ScaleBench.Options(n, m, b, new ArrayList<>(k), seed, Map.copyOf(extra));
        try {
            Map<String, String> probe = new LinkedHashMap<>(extra);
            probe.put(InflightConfig.BOOTSTRAP_SERVERS, "localhost:9092");
            probe.put(InflightConfig.MODEL_TYPE, m);
            probe.put(InflightConfig.MODEL_FIELDS, "f0");
            probe.put(InflightConfig.BATCH_SIZE, Integer.toString(b));
            InflightConfig.parse(probe);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("--set: " + e.getMessage(), e);
        }
        return o;
    }

    @Override
    public Integer call() throws Exception {
        ScaleBench.Options o = options();
        return BenchCommand.onCluster(bootstrap, true, workDir, servers -> {
            ScaleBench.Result r = new ScaleBench(servers, workDir, System.err).run(o, !noFailover);
            System.out.println(json ? r.json() : r.table());
            boolean exact = (r.failover() == null || r.failover().lost() + r.failover().twice() == 0)
                    && (r.failoverStandby() == null || r.failoverStandby().lost() + r.failoverStandby().twice() == 0);
            return exact ? 0 : 1;
        });
    }
}
