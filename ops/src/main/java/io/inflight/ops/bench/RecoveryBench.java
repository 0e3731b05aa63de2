package io.inflight.ops.bench;

import io.inflight.ops.generate.Generation;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.TopicSink;
import io.inflight.ops.train.TrainerApp;
import io.inflight.policies.Precision;
import io.inflight.store.RowSink;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.topology.TrainerTasks;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Exactly-once and determinism under crashes: trains one generated stream twice on the same broker,
 * once uninterrupted (in this JVM) and once in child JVMs killed with SIGKILL at random committed
 * offsets and restarted, then restores each run's committed state into a fresh instance and compares
 * model hashes and event counts.
 */
public final class RecoveryBench {

    /**
     * What one run found.
     *
     * @param publishedRows        rows of the killed-and-restarted run's final model
     * @param publicationMismatches of those, rows whose latest committed model update (published by that
     *                             run) is missing or differs from the row, plus updates for rows the model
     *                             does not have, plus shared hashed rows and gates whose latest
     *                             published value differs from the model's (see {@link SharedPublicationCheck}):
     *                             0 when every change was published and none was lost
     * @param publishedSharedRows  shared hashed rows of that model (0 without them)
     */
    public record Result(long events, String cleanHash, String crashedHash, long cleanEvents, long crashedEvents,
                         List<Long> killOffsets, List<Double> resumeSeconds, long publishedRows,
                         long publicationMismatches, long publishedSharedRows) {
        public boolean identical() {
            return cleanHash.equals(crashedHash);
        }

        public long lost() {
            return Math.max(0, events - crashedEvents);
        }

        public long appliedTwice() {
            return Math.max(0, crashedEvents - events);
        }

        public String json() {
            return String.format(Locale.ROOT,
                    "{\"bench\":\"recovery\",\"events\":%d,\"kills\":%d,\"kill_offsets\":%s,\"clean_hash\":\"%s\","
                            + "\"crashed_hash\":\"%s\",\"identical\":%b,\"lost\":%d,\"applied_twice\":%d,\"resume_seconds\":%s,"
                            + "\"published_rows\":%d,\"published_shared_rows\":%d,\"publication_mismatches\":%d}",
                    events, killOffsets.size(), killOffsets, cleanHash, crashedHash, identical(), lost(), appliedTwice(),
                    resumeSeconds.stream().map(d -> String.format(Locale.ROOT, "%.2f", d)).toList(), publishedRows,
                    publishedSharedRows, publicationMismatches);
        }
    }

    private final String bootstrap;
    private final Path workDir;
    private final PrintStream out;

    public RecoveryBench(String bootstrap, Path workDir, PrintStream out) {
        this.bootstrap = bootstrap;
        this.workDir = workDir;
        this.out = out;
    }

    public Result run(long events, int kills, long seed) throws Exception {
        return run(events, kills, seed, Map.of());
    }

    /** As {@link #run(long, int, long)}, training with extra {@code inflight.*} settings (e.g. a mini-batch model). */
    public Result run(long events, int kills, long seed, Map<String, String> trainer) throws Exception {
        String prefix = "recovery-" + seed;
        Map<String, String> base = new HashMap<>(trainer);
        base.put(InflightConfig.BOOTSTRAP_SERVERS, bootstrap);
        base.put(InflightConfig.TOPIC_PREFIX, prefix);
        base.putIfAbsent(InflightConfig.MODEL_FIELDS, GeneratorSpec.defaults(events, seed).fieldNames());
        InflightConfig topicsOnly = InflightConfig.parse(base);
        // whole batches only: a last partial batch waits for more events
        long expected = events - events % topicsOnly.batchSettings().batchSize();
        TrainerApp.ensureTopics(topicsOnly);
        out.printf(Locale.ROOT, "Generating %,d events into %s%n", events, topicsOnly.topics().clicks());
        Generation.run(GeneratorSpec.defaults(events, seed), new TopicSink(topicsOnly.kafkaClientConfigs(),
                topicsOnly.topics().clicks()), new PrintStream(OutputStream.nullOutputStream()));

        out.println("Run 1: uninterrupted, in this JVM");
        Map<String, String> clean = config(base, prefix + "-clean", workDir.resolve("clean"));
        ProgressiveMetrics.Summary cleanSummary = trainInProcess(InflightConfig.parse(clean), expected);
        String cleanHash = restoredHash(clean, workDir.resolve("clean-restore"), expected).orElseThrow();

        out.printf(Locale.ROOT, "Run 2: child JVMs killed with SIGKILL %d times%n", kills);
        TopicPartition updates = new TopicPartition(topicsOnly.topics().modelUpdates(), 0);
        long updatesFrom = endOffset(topicsOnly, updates); // what run 2 publishes comes after this
        Map<String, String> crashed = config(base, prefix + "-crashed", workDir.resolve("crashed"));
        // Static membership: a restarted child takes its partition back at once (no session timeout).
        crashed.put(InflightConfig.INSTANCE_ID, "recovery-child");
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Long> killAt = new ArrayList<>();
        // Spread the kills over the first 90% of the stream, one random point in each of `kills` equal
        // slices: a kill lands at the first commit at or past its point, and a fast trainer's commits can
        // step thousands of events at once, so a point near the end could be passed by the last commit.
        long span = events - events / 10;
        for (int i = 0; i < kills; i++) {
            long lo = span * i / kills;
            long hi = span * (i + 1) / kills;
            killAt.add(lo + 1 + rnd.nextLong(Math.max(1, hi - lo - 1)));
        }
        List<Long> killedAt = new ArrayList<>();
        List<Double> resume = new ArrayList<>();
        String group = crashed.get(InflightConfig.APPLICATION_ID);
        TopicPartition tp = new TopicPartition(topicsOnly.topics().clicks(), 0);
        try (Admin admin = Admin.create(new HashMap<>(topicsOnly.kafkaClientConfigs()))) {
            for (int i = 0; i <= kills; i++) {
                long before = committed(admin, group, tp);
                long started = System.nanoTime();
                Process child = startChild(crashed, workDir.resolve("child-" + i + ".log"));
                try {
                    boolean resumed = false;
                    long target = i < kills ? killAt.get(i) : events;
                    while (true) {
                        if (!child.isAlive()) {
                            throw new IllegalStateException("trainer child exited with " + child.exitValue()
                                    + "; see " + workDir.resolve("child-" + i + ".log"));
                        }
                        long offset = committed(admin, group, tp);
                        if (!resumed && offset > before) {
                            resumed = true;
                            resume.add((System.nanoTime() - started) / 1e9);
                        }
                        if (offset >= target) {
                            break;
                        }
                        if ((System.nanoTime() - started) / 1e9 > 300) {
                            throw new IllegalStateException("child made no progress to offset " + target + " in 300 s");
                        }
                        Thread.sleep(20);
                    }
                    if (i < kills) {
                        killedAt.add(committed(admin, group, tp));
                        child.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close
                        child.waitFor(30, TimeUnit.SECONDS);
                        out.printf(Locale.ROOT, "  killed child %d at committed offset %,d%n", i + 1, killedAt.get(i));
                    }
                } finally {
                    child.destroy();
                    child.waitFor(60, TimeUnit.SECONDS);
                    child.destroyForcibly();
                }
            }
        }
        Optional<ProgressiveMetrics.Summary> crashedSummary = Optional.empty();
        String crashedHash;
        long[] publication = {-1, -1, 0};
        {
            Map<String, String> restore = new HashMap<>(crashed);
            restore.put(InflightConfig.STATE_DIR, workDir.resolve("crashed-restore").toString());
            restore.put(InflightConfig.INSTANCE_ID, "recovery-child"); // replaces the last child at once
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(InflightConfig.parse(restore), fatal::set)) {
                crashedSummary = Optional.of(await(app, expected, fatal));
                crashedHash = app.modelHash().orElseThrow();
                publication = checkPublication(topicsOnly, restore.get(InflightConfig.APPLICATION_ID), updates,
                        updatesFrom);
            }
        }
        return new Result(expected, cleanHash, crashedHash, cleanSummary.events(), crashedSummary.get().events(),
                killedAt, resume, publication[0], publication[1], publication[2]);
    }

    private static Map<String, String> config(Map<String, String> base, String appId, Path stateDir) {
        Map<String, String> m = new HashMap<>(base);
        m.put(InflightConfig.APPLICATION_ID, appId);
        m.put(InflightConfig.STATE_DIR, stateDir.toString());
        return m;
    }

    private ProgressiveMetrics.Summary trainInProcess(InflightConfig cfg, long events) throws InterruptedException {
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        try (TrainerApp app = TrainerApp.start(cfg, fatal::set)) {
            ProgressiveMetrics.Summary s = await(app, events, fatal);
            app.close(Duration.ofSeconds(60));
            return s;
        }
    }

    private Optional<String> restoredHash(Map<String, String> cfg, Path stateDir, long events) throws InterruptedException {
        Map<String, String> m = new HashMap<>(cfg);
        m.put(InflightConfig.STATE_DIR, stateDir.toString());
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        try (TrainerApp app = TrainerApp.start(InflightConfig.parse(m), fatal::set)) {
            await(app, events, fatal);
            return app.modelHash();
        }
    }

    private static ProgressiveMetrics.Summary await(TrainerApp app, long events, AtomicReference<Throwable> fatal)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (System.nanoTime() < deadline) {
            if (fatal.get() != null) {
                throw new IllegalStateException("trainer failed: " + fatal.get(), fatal.get());
            }
            if (app.state() == KafkaStreams.State.RUNNING) {
                Optional<ProgressiveMetrics.Summary> s = app.summary();
                if (s.isPresent() && s.get().events() + s.get().rejected() >= events) {
                    return s.get();
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("trainer did not reach " + events + " events in 600 s");
    }

    private static long endOffset(InflightConfig cfg, TopicPartition tp) {
        try (KafkaConsumer<byte[], byte[]> c = updatesConsumer(cfg)) {
            return c.endOffsets(List.of(tp)).get(tp);
        }
    }

    private static KafkaConsumer<byte[], byte[]> updatesConsumer(InflightConfig cfg) {
        Map<String, Object> props = new HashMap<>(cfg.kafkaClientConfigs());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Compares the final model's rows (asked of the running trainer) with the latest committed update
     * of every row published since {@code from}; repeats for up to 30 s, as the last publication may
     * still be on its way. The shared hashed rows and their gates likewise. Returns {rows, mismatches,
     * shared rows}.
     */
    private long[] checkPublication(InflightConfig cfg, String applicationId, TopicPartition tp, long from)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Map<Long, ModelUpdateCodec.Row> latest = new HashMap<>();
        Map<Long, Boolean> tombstoned = new HashMap<>();
        SharedPublicationCheck shared = new SharedPublicationCheck();
        try (KafkaConsumer<byte[], byte[]> c = updatesConsumer(cfg)) {
            c.assign(List.of(tp));
            c.seek(tp, from);
            while (true) {
                long end = c.endOffsets(List.of(tp)).get(tp);
                while (c.position(tp) < end) {
                    for (var r : c.poll(Duration.ofMillis(200))) {
                        ModelUpdateCodec.Key k = ModelUpdateCodec.parseKey(r.key());
                        if (!k.row()) {
                            shared.accept(k, r.value()); // dense chunks are not compared
                            continue;
                        }
                        long key = k.id();
                        if (r.value() == null) {
                            latest.remove(key);
                            tombstoned.put(key, true);
                        } else {
                            latest.put(key, ModelUpdateCodec.decodeRow(r.value()));
                            tombstoned.remove(key);
                        }
                    }
                }
                Map<Long, float[]> rows = snapshot(applicationId);
                long mismatches = 0;
                for (Map.Entry<Long, float[]> e : rows.entrySet()) {
                    ModelUpdateCodec.Row p = latest.get(e.getKey());
                    float[] v = e.getValue();
                    if (p == null || Float.compare(p.linear(), v[v.length - 1]) != 0
                            || !Arrays.equals(p.embedding(), Arrays.copyOf(v, v.length - 1))) {
                        mismatches++;
                    }
                }
                for (Long key : latest.keySet()) {
                    if (!rows.containsKey(key)) {
                        mismatches++;
                    }
                }
                long[] sharedRows = shared.compare(applicationId);
                mismatches += sharedRows[1];
                if (mismatches == 0 || System.nanoTime() > deadline) {
                    return new long[] {rows.size(), mismatches, sharedRows[0]};
                }
                Thread.sleep(500);
            }
        }
    }

    /** Every row of the trainer's tasks here: D values then the linear weight. */
    private static Map<Long, float[]> snapshot(String applicationId) {
        return TrainerTasks.call(applicationId, v -> {
            Map<Long, float[]> rows = new HashMap<>();
            v.rows().snapshot(new RowSink() {
                @Override
                public void row(long key, int mask, Precision[] precisions, float[] values,
                                float linear) {
                    float[] r = Arrays.copyOf(values, values.length + 1);
                    r[values.length] = linear;
                    rows.put(key, r);
                }

                @Override
                public void evicted(long key) {
                }
            });
            return rows;
        }, Duration.ofSeconds(60)).orElseThrow(() -> new IllegalStateException("the trainer's tasks did not answer"))
                .stream().reduce(new HashMap<>(), (a, b) -> {
                    a.putAll(b);
                    return a;
                });
    }

    private static long committed(Admin admin, String group, TopicPartition tp) throws Exception {
        ListConsumerGroupOffsetsResult r = admin.listConsumerGroupOffsets(group);
        OffsetAndMetadata o = r.partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(tp);
        return o == null ? 0 : o.offset();
    }

    private static Process startChild(Map<String, String> cfg, Path log) throws IOException {
        return ChildTrainer.start(cfg, log);
    }
}
