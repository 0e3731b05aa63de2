package io.inflight.ops.bench;

import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.ops.train.TrainerApp;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.trainer.config.InflightConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Scale-out and failover of the trainer, each instance a child JVM ({@link TrainerCluster}) on one
 * broker: the same generated events trained (a) through a 1-partition clicks topic, (b) through a
 * 4-partition topic as one model ({@code inflight.topology.models=one}) by 1, 2, ... instances, and
 * (c) as 4 separate replicas ({@code per-partition}); then a SIGKILL of one of three instances of
 * (b) without and with a standby replica. Quality is the exact AUC of every committed prediction
 * (scores made before learning: progressive validation), pooled over the replicas in (c).
 */
public final class ScaleBench {

    /** The setting that chooses one model or a replica per partition (issue 16). */
    public static final String TOPOLOGY_MODELS = InflightConfig.TOPOLOGY_MODELS;
    /** The row-shard runs: rows in this many shard tasks, this many batches in flight. */
    static final int ROW_SHARDS = 3;
    static final int ROW_SHARD_WINDOW = 32;
    static final int PARTITIONS = 4;

    /** What to run: events, model, batch size, instance counts of (b), extra {@code --set} settings. */
    public record Options(long events, String model, int batch, List<Integer> instances, long seed,
                          Map<String, String> extra) {
        /** The events actually run: whole batches in every partition and in one trainer fed by all of them. */
        public long roundedEvents() {
            return events - events % ((long) PARTITIONS * batch);
        }
    }

    /**
     * One training run: {@code instances} child JVMs on a clicks topic of {@code partitions}.
     *
     * @param eventsPerSecond   scored events per second between the first and last committed prediction
     * @param bytesPerEvent     bytes in the broker's logs of the run's topics, Streams-internal ones included, per event
     * @param inputBytesPerEvent of those, the clicks topic's
     * @param cpuMsPerEvent     CPU time of all instances while the events were produced and trained, per event
     * @param instanceCpuMs     each instance's CPU time in that window (ms)
     * @param brokerCpuMsPerEvent CPU time of this JVM (the embedded broker, producer and prediction reader) per event
     */
    public record Run(String name, int partitions, String topology, int instances, long events, double auc,
                      double eventsPerSecond, double bytesPerEvent, double inputBytesPerEvent, double cpuMsPerEvent,
                      List<Double> instanceCpuMs, double brokerCpuMsPerEvent) {
    }

    /**
     * A SIGKILL of one of three instances: the seconds until the group was stable without it and until its
     * tasks made committed progress; events lost / scored twice.
     */
    public record Failover(int standbys, double rebalancedSeconds, double resumeSeconds, long lost, long twice,
                           String moved) {
    }

    /** Everything the bench measured. */
    public record Result(long events, String model, int batch, List<Run> runs, Failover failover,
                         Failover failoverStandby, double seconds, int shardWindow) {

        Run run(String name) {
            return runs.stream().filter(r -> r.name().equals(name)).findFirst().orElse(null);
        }

        /** The one JSON line of {@code --json}. */
        public String json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bench", "\"scale\"");
            m.put("events", events);
            m.put("model", "\"" + model + "\"");
            m.put("batch", batch);
            m.put("single_partition_auc", num(run("single-partition") == null ? Double.NaN : run("single-partition").auc(), 5));
            Run one = runs.stream().filter(r -> r.name().startsWith("one-model")).findFirst().orElse(null);
            m.put("one_model_auc", one == null ? "null" : num(one.auc(), 5));
            Run sharded = runs.stream().filter(r -> r.name().startsWith("row-shards")).findFirst().orElse(null);
            m.put("row_shards_auc", sharded == null ? "null" : num(sharded.auc(), 5));
            m.put("row_shards", ROW_SHARDS);
            m.put("row_shard_window", shardWindow);
            m.put("separate_replicas_auc", num(run("separate-replicas") == null ? Double.NaN : run("separate-replicas").auc(), 5));
            m.put("separate_replicas_auc_kind", "\"pooled\"");
            m.put("failover_resume_seconds", failover == null ? "null" : num(failover.resumeSeconds(), 2));
            m.put("failover_resume_seconds_standby", failoverStandby == null ? "null" : num(failoverStandby.resumeSeconds(), 2));
            m.put("failover_rebalanced_seconds", failover == null ? "null" : num(failover.rebalancedSeconds(), 2));
            m.put("failover_rebalanced_seconds_standby", failoverStandby == null ? "null"
                    : num(failoverStandby.rebalancedSeconds(), 2));
            long lost = 0;
            long twice = 0;
            for (Failover f : new Failover[] {failover, failoverStandby}) {
                if (f != null) {
                    lost += f.lost();
                    twice += f.twice();
                }
            }
            m.put("failover_lost", lost);
            m.put("failover_twice", twice);
            for (String kind : new String[] {"one-model", "row-shards"}) {
                String p = kind.equals("one-model") ? "" : "row_shards_";
                m.put(p + "events_per_s_by_instances", byInstances(kind, r -> num(r.eventsPerSecond(), 0)));
                m.put(p + "bytes_per_event", byInstances(kind, r -> num(r.bytesPerEvent(), 0)));
                m.put(p + "input_bytes_per_event", byInstances(kind, r -> num(r.inputBytesPerEvent(), 0)));
                m.put(p + "cpu_ms_per_event", byInstances(kind, r -> num(r.cpuMsPerEvent(), 4)));
                m.put(p + "instance_cpu_ms_per_event", byInstances(kind, r -> r.instanceCpuMs().stream()
                        .map(c -> num(c / r.events(), 4)).collect(java.util.stream.Collectors.joining(",", "[", "]"))));
                m.put(p + "broker_cpu_ms_per_event", byInstances(kind, r -> num(r.brokerCpuMsPerEvent(), 4)));
            }
            m.put("seconds", num(seconds, 0));
            StringBuilder b = new StringBuilder("{");
            m.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
            return b.append('}').toString();
        }

        private String byInstances(String kind, java.util.function.Function<Run, String> f) {
            StringBuilder b = new StringBuilder("{");
            for (Run r : runs) {
                if (r.name().startsWith(kind)) {
                    b.append(b.length() > 1 ? "," : "").append('"').append(r.instances()).append("\":").append(f.apply(r));
                }
            }
            return b.append('}').toString();
        }

        /** The readable table. */
        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%,d events, %s, batch %d%n", events, model, batch));
            b.append(String.format(Locale.ROOT, "%-20s %5s %-13s %4s %8s %9s %9s %9s %9s %9s%n", "run", "parts", "topology",
                    "inst", "AUC", "events/s", "bytes/ev", "input/ev", "cpu ms/ev", "brk ms/ev"));
            for (Run r : runs) {
                b.append(String.format(Locale.ROOT, "%-20s %5d %-13s %4d %8.5f %9.0f %9.0f %9.0f %9.4f %9.4f%n", r.name(),
                        r.partitions(), r.topology(), r.instances(), r.auc(), r.eventsPerSecond(), r.bytesPerEvent(),
                        r.inputBytesPerEvent(), r.cpuMsPerEvent(), r.brokerCpuMsPerEvent()));
            }
            for (Failover f : new Failover[] {failover, failoverStandby}) {
                if (f != null) {
                    b.append(String.format(Locale.ROOT, "failover, %d standby: SIGKILL of 1 of 3 instances (%s): group "
                            + "stable without it after %.1f s, its tasks resumed after %.1f s; events lost %d, scored twice "
                            + "%d%n", f.standbys(), f.moved(), f.rebalancedSeconds(), f.resumeSeconds(), f.lost(), f.twice()));
                }
            }
            b.append("AUC: exact, over every committed prediction (scored before learning); separate-replicas pools the 4 "
                    + "replicas' predictions. bytes/ev: the broker's log sizes of the run's topics (internal ones included) "
                    + "at the end. cpu ms/ev: all instances' CPU from the first event produced to the last scored; brk: "
                    + "this JVM (broker, producer, reader).");
            return b.toString();
        }
    }

    private static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "null";
    }

    private final String bootstrap;
    private final Path workDir;
    private final PrintStream log;
    /** In every topic and application id: a run on a cluster that keeps an earlier run's topics starts afresh. */
    private final String tag = Long.toString(System.currentTimeMillis(), 36);

    public ScaleBench(String bootstrap, Path workDir, PrintStream log) {
        this.bootstrap = bootstrap;
        this.workDir = workDir;
        this.log = log;
    }

    /** Runs (a), (c), (b) and (d) with each instance count, then the failovers when {@code failovers}. */
    public Result run(Options o, boolean failovers) throws Exception {
        long t0 = System.nanoTime();
        long n = o.roundedEvents();
        log.printf(Locale.ROOT, "[scale] generating %,d events (seed %d)%n", n, o.seed());
        EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
        List<byte[]> events = new ArrayList<>((int) n);
        SyntheticStream s = new SyntheticStream(GeneratorSpec.defaults(n, o.seed()));
        while (s.hasNext()) {
            events.add(codec.encode(s.nextEvent()));
        }
        String fields = GeneratorSpec.defaults(n, o.seed()).fieldNames();
        List<Run> runs = new ArrayList<>();
        runs.add(train(o, events, fields, "single-partition", 1, InflightConfig.MODELS_ONE, 1));
        runs.add(train(o, events, fields, "separate-replicas", PARTITIONS, InflightConfig.MODELS_PER_PARTITION, 1));
        for (int k : o.instances()) {
            runs.add(train(o, events, fields, "one-model-" + k, PARTITIONS, InflightConfig.MODELS_ONE, k));
        }
        for (int k : o.instances()) {
            runs.add(train(o, events, fields, "row-shards-" + k, PARTITIONS, InflightConfig.MODELS_ONE, k));
        }
        Failover f0 = failovers ? failover(o, events, fields, 0) : null;
        Failover f1 = failovers ? failover(o, events, fields, 1) : null;
        int window = Integer.parseInt(o.extra().getOrDefault(InflightConfig.TOPOLOGY_SHARD_WINDOW,
                Integer.toString(ROW_SHARD_WINDOW)));
        return new Result(n, o.model(), o.batch(), runs, f0, f1, (System.nanoTime() - t0) / 1e9, window);
    }

    private Map<String, String> settings(Options o, String fields, String name, int partitions, String topology) {
        Map<String, String> m = new HashMap<>(o.extra());
        m.put(InflightConfig.BOOTSTRAP_SERVERS, bootstrap);
        m.put(InflightConfig.TOPIC_PREFIX, "scale-" + tag + "-" + name);
        m.put(InflightConfig.APPLICATION_ID, "scale-" + tag + "-" + name + "-trainer");
        m.put(InflightConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
        m.put(InflightConfig.MODEL_TYPE, o.model());
        m.put(InflightConfig.MODEL_FIELDS, fields);
        m.put(InflightConfig.BATCH_SIZE, Integer.toString(o.batch()));
        m.put(InflightConfig.PREDICTIONS_ENABLED, "true");
        m.put(TOPOLOGY_MODELS, topology);
        if (name.startsWith("row-shards")) {
            m.put(InflightConfig.TOPOLOGY_SHARDS, Integer.toString(ROW_SHARDS));
            m.putIfAbsent(InflightConfig.TOPOLOGY_SHARD_WINDOW, Integer.toString(ROW_SHARD_WINDOW)); // --set may change it
        }
        return m;
    }

    private Run train(Options o, List<byte[]> events, String fields, String name, int partitions, String topology,
                      int instances) throws Exception {
        long n = events.size();
        Map<String, String> cfg = settings(o, fields, name, partitions, topology);
        InflightConfig config = InflightConfig.parse(cfg);
        TrainerApp.ensureTopics(config);
        String shown = name.startsWith("row-shards") ? ROW_SHARDS + " shards" : partitions == 1 ? "direct" : topology;
        log.printf(Locale.ROOT, "[scale] %s: %d instance(s), %d partition(s), %s: starting%n", name, instances, partitions,
                shown);
        Map<String, Object> kafka = new HashMap<>(config.kafkaClientConfigs());
        try (Admin admin = Admin.create(kafka);
             TrainerCluster cluster = new TrainerCluster(cfg, workDir.resolve(name));
             PredictionLog predictions = new PredictionLog(kafka, config.topics().predictions())) {
            for (int i = 0; i < instances; i++) {
                cluster.start();
            }
            awaitStable(cluster, admin, instances);
            List<Double> cpu0 = cluster.instances().stream().map(i -> i.cpu().toNanos() / 1e6).toList();
            double self0 = selfCpuMs();
            produce(kafka, config.topics().clicks(), partitions, events, 0, events.size());
            PredictionLog.Snapshot done = predictions.await(n, timeout(n), () -> cluster.checkAlive(Set.of()));
            List<Double> cpu = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                cpu.add(cluster.instances().get(i).cpu().toNanos() / 1e6 - cpu0.get(i));
            }
            double self = selfCpuMs() - self0;
            long[] bytes = logBytes(admin, config.topics().prefix(), cluster.applicationId(), config.topics().clicks());
            Run r = new Run(name, partitions, shown, instances, n, predictions.auc(), done.eventsPerSecond(),
                    bytes[0] / (double) n, bytes[1] / (double) n, cpu.stream().mapToDouble(d -> d).sum() / n, cpu, self / n);
            log.printf(Locale.ROOT, "[scale] %s: AUC %.5f, %.0f events/s, %.0f bytes/event, %.4f CPU ms/event%n", name,
                    r.auc(), r.eventsPerSecond(), r.bytesPerEvent(), r.cpuMsPerEvent());
            return r;
        }
    }

    private Failover failover(Options o, List<byte[]> events, String fields, int standbys) throws Exception {
        long n = events.size();
        String name = "failover-" + standbys;
        Map<String, String> cfg = settings(o, fields, name, PARTITIONS, InflightConfig.MODELS_ONE);
        cfg.put(InflightConfig.STREAMS_PREFIX + "num.standby.replicas", Integer.toString(standbys));
        InflightConfig config = InflightConfig.parse(cfg);
        TrainerApp.ensureTopics(config);
        log.printf(Locale.ROOT, "[scale] %s: 3 instances, %d standby replica(s): starting; a SIGKILL once a twelfth of "
                + "the events is scored%n", name, standbys);
        Map<String, Object> kafka = new HashMap<>(config.kafkaClientConfigs());
        String clicks = config.topics().clicks();
        int third = (int) (n / 3);
        try (Admin admin = Admin.create(kafka);
             TrainerCluster cluster = new TrainerCluster(cfg, workDir.resolve(name));
             PredictionLog predictions = new PredictionLog(kafka, config.topics().predictions())) {
            for (int i = 0; i < 3; i++) {
                cluster.start();
            }
            awaitStable(cluster, admin, 3);
            produce(kafka, clicks, PARTITIONS, events, 0, third);
            predictions.await(Math.max(1, n / 12), timeout(n), () -> cluster.checkAlive(Set.of()));
            TrainerCluster.Failover f = cluster.killOneAndMeasure(admin, 3, clicks,
                    () -> produce(kafka, clicks, PARTITIONS, events, third, events.size()), Duration.ofSeconds(300));
            log.printf(Locale.ROOT, "[scale] %s: killed instance %d (%s); group stable without it after %.1f s, resumed "
                    + "after %.1f s; training to the end%n", name, f.victim(), f.moved(), f.rebalancedSeconds(), f.resumeSeconds());
            predictions.await(n, timeout(n), () -> cluster.checkAlive(Set.of(f.victim())));
            cluster.close(); // the survivors commit what they did; then read everything committed
            PredictionLog.Snapshot all = predictions.awaitEnd(Duration.ofSeconds(60));
            return new Failover(standbys, f.rebalancedSeconds(), f.resumeSeconds(), n - all.distinct(), all.duplicates(),
                    f.moved().toString());
        }
    }

    private static Duration timeout(long events) {
        return Duration.ofSeconds(300 + events / 100);
    }

    private void awaitStable(TrainerCluster cluster, Admin admin, int instances) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (cluster.owners(admin, instances).isEmpty()) {
            cluster.checkAlive(Set.of());
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the group " + cluster.applicationId() + " did not settle with " + instances
                        + " instances owning tasks within 300 s; see " + workDir);
            }
            Thread.sleep(200);
        }
    }

    private static void produce(Map<String, Object> kafka, String topic, int partitions, List<byte[]> events, int from,
                                int to) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(to - from);
        try (var producer = new KafkaProducer<>(ClicksProducer.inOrder(kafka), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, null, events.get(i))));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(); // every event is written, or the bench stops here naming why
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while producing to " + topic, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("producing to " + topic + " failed: " + e.getCause(), e.getCause());
        }
    }

    private static double selfCpuMs() {
        return ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO).toNanos() / 1e6;
    }

    /** {all the run's topics' bytes, the clicks topic's} in the brokers' logs: {@code prefix.*} and {@code appId-*}. */
    static long[] logBytes(Admin admin, String prefix, String appId, String clicks) throws Exception {
        List<Integer> brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().map(Node::id).toList();
        Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(brokers).allDescriptions()
                .get(30, TimeUnit.SECONDS);
        long all = 0;
        long input = 0;
        for (Map<String, LogDirDescription> byDir : dirs.values()) {
            for (LogDirDescription d : byDir.values()) {
                for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
                    String t = e.getKey().topic();
                    if (t.startsWith(prefix + ".") || t.startsWith(appId + "-")) {
                        all += e.getValue().size();
                        input += t.equals(clicks) ? e.getValue().size() : 0;
                    }
                }
            }
        }
        return new long[] {all, input};
    }
}
