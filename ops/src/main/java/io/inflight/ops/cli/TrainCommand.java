package io.inflight.ops.cli;

import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.status.StatusPages;
import io.inflight.ops.status.StatusSampler;
import io.inflight.ops.snapshot.ModelSnapshot;
import io.inflight.ops.snapshot.SnapshotFile;
import io.inflight.ops.snapshot.SnapshotWarmStart;
import io.inflight.ops.train.MetricsEndpoint;
import io.inflight.ops.train.ProgressLine;
import io.inflight.ops.train.StopOffsets;
import io.inflight.ops.train.TrainerApp;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.topology.TableStats;
import io.inflight.trainer.topology.TrainerTasks;
import io.inflight.trainer.topology.TrainerTopology;
import io.inflight.trainer.topology.WarmStarts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Run the trainer (a Kafka Streams application) on <prefix>.clicks until Ctrl-C or SIGTERM, "
                + "or until --until-caught-up or --max-events says it is done; either way it prints a summary and exits 0.",
                "Without --bootstrap-servers it starts an embedded broker and prints its address."})
final class TrainCommand implements Callable<Integer> {

    /** How often the group's committed offsets are compared with the stop offsets. */
    private static final long STOP_CHECK_MS = 1_000;

    @Mixin
    ConfigOptions config;

    @Mixin
    EmbeddedBrokerOptions embedded;

    @Option(names = "--progress-interval", defaultValue = "5", paramLabel = "SECONDS",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int progressSeconds;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--until-caught-up",
            description = "Stop once every event the clicks topic held when train started (its end offsets then, every "
                    + "partition) is trained and scored, the last partial batch included; then commit, print the "
                    + "summary and exit 0. For backfills: replay a log into the topic, then train --until-caught-up.")
    boolean untilCaughtUp;

    @Option(names = "--max-events", paramLabel = "N",
            description = "Stop after the next N records of each partition of the clicks topic (from where the "
                    + "application's committed offsets stand; with one partition, N events), the last partial "
                    + "batch trained and scored; records after them are left for the next run. Not with one model "
                    + "from several partitions (inflight.topology.models=one): use --until-caught-up.")
    Long maxEvents;

    @Option(names = "--from-snapshot", paramLabel = "FILE",
            description = "Warm-start a NEW application (an inflight.application.id without state) from this snapshot "
                    + "(inflight snapshot export): its rows and dense parameters seed every task. Its model settings "
                    + "(type, dim, fields, numeric fields, hidden, chunks) must match, else train fails at start naming the key.")
    Path fromSnapshot;

    @Override
    public Integer call() throws Exception {
        // validate everything before starting anything: no broker, topic or state directory on a bad start
        InflightConfig checked = config.checkForTraining();
        ModelSnapshot warm = fromSnapshot == null ? null : SnapshotFile.read(fromSnapshot);
        if (warm != null) {
            warm.checkShape(checked, fromSnapshot);
        }
        if (progressSeconds < 1) {
            throw new IllegalArgumentException("--progress-interval must be >= 1, got " + progressSeconds);
        }
        metrics.validate();
        if (untilCaughtUp && maxEvents != null) {
            throw new IllegalArgumentException("--until-caught-up and --max-events " + maxEvents + " both say when to stop: give one");
        }
        if (maxEvents != null && maxEvents < 1) {
            throw new IllegalArgumentException("--max-events must be >= 1, got " + maxEvents);
        }
        embedded.check(config);
        try (Shutdown shutdown = new Shutdown();
             // bound first: a port in use fails before a broker or a topic exists
             MetricsEndpoint endpoint = metrics.open()) {
            EmbeddedBroker broker = embedded.startUnless(config);
            try {
                InflightConfig cfg = config.resolve(broker == null ? null : broker.bootstrapServers());
                System.out.println("Training on " + cfg.topics().clicks() + " at " + cfg.bootstrapServers()
                        + embedded.describe(broker));
                System.out.println("Settings: " + cfg.inflightValues());
                String appId = cfg.getString(InflightConfig.APPLICATION_ID);
                StopOffsets stop = stopOffsets(cfg);
                if (stop == null) {
                    System.out.println("Produce events to " + cfg.topics().clicks() + ", e.g. ./inflight generate --topic -b "
                            + cfg.bootstrapServers() + ". Ctrl-C to stop.");
                } else {
                    System.out.println("Training " + cfg.topics().clicks() + " from offsets " + new TreeMap<>(stop.start())
                            + " to " + new TreeMap<>(stop.stop()) + " (" + String.format(Locale.ROOT, "%,d", stop.offsets())
                            + " records), then stopping. Ctrl-C to stop earlier.");
                }
                AtomicReference<Throwable> fatal = new AtomicReference<>();
                if (endpoint != null) {
                    System.out.println(MetricsOptions.describe(endpoint));
                }
                long t0 = System.nanoTime();
                long budget = budgetShown(cfg);
                TrainerTasks.stopAt(appId, stop == null ? Map.of() : stop.stop());
                if (warm != null) {
                    WarmStarts.register(appId, new SnapshotWarmStart(warm));
                    System.out.printf(Locale.ROOT, "Warm start from %s (%s, model %d, dense version %d, %,d rows) for tasks "
                            + "without state of their own%n", fromSnapshot, warm.applicationId(), warm.modelId(),
                            warm.denseVersion(), warm.rows().size());
                }
                try (TrainerApp app = TrainerApp.start(cfg, fatal::set, endpoint != null ? endpoint.registry()
                        : new SimpleMeterRegistry());
                     Admin admin = stop == null ? null : Admin.create(new HashMap<>(cfg.kafkaClientConfigs()));
                     StatusSampler sampler = endpoint == null ? null
                             : StatusPages.train(endpoint, app, cfg.inflightValues(), StatusPages.INTERVAL)) {
                    long[] nextCheck = {0};
                    var seen = new TrainingLoop(app, fatal, System.out, progressSeconds * 1000L, events -> TableLine.INDENT
                            + table(appId).map(t -> TableLine.line(t, budget)).orElse("table: not readable now")).run(shutdown, s -> {
                        if (stop == null || System.nanoTime() < nextCheck[0]) {
                            return false;
                        }
                        nextCheck[0] = System.nanoTime() + STOP_CHECK_MS * 1_000_000L;
                        return stop.reached(admin, cfg.topics().clicks(), appId) && eventsDone(admin, appId);
                    }, 0);
                    var last = seen;
                    boolean ended = stop != null && !shutdown.requested();
                    if (ended) {
                        // every record before the stop offsets is committed: train and score what waits for a batch
                        System.out.println("Caught up with the stop offsets: training the events that wait for a whole batch, "
                                + "then stopping...");
                        if (!TrainerTasks.finish(appId, Duration.ofSeconds(60))) {
                            throw new IllegalStateException("the trainer's tasks did not train their last batch within 60 s");
                        }
                        last = app.summary().or(() -> seen);
                    } else {
                        System.out.println("Stopping...");
                    }
                    long pending = TrainerTasks.pending(appId, Duration.ofSeconds(60)).orElse(-1L);
                    Optional<TableStats> table = table(appId);
                    // computed on the tasks' own threads, so before the Streams threads stop (as demo does)
                    String hash = app.modelHash().orElse("unavailable");
                    app.close(Duration.ofSeconds(60));
                    System.out.print(summary(last, pending, ended, cfg.batchSettings().batchSize(), table, budget, hash,
                            (System.nanoTime() - t0) / 1e9));
                    long replaced = app.meters().threadsReplaced();
                    if (replaced > 0) {
                        System.out.printf(Locale.ROOT, "  Streams threads replaced after a failure: %d (their tasks resumed "
                                + "from their last commit; the ERROR lines above say why)%n", replaced);
                    }
                } finally {
                    TrainerTasks.stopAt(appId, Map.of());
                    WarmStarts.unregister(appId);
                }
                shutdown.succeeded();
            } finally {
                if (broker != null) {
                    broker.close();
                }
            }
        }
        return 0;
    }

    /** The byte budget the policy passes hold the table to, 0 for none (no budget, or mode none: not enforced). */
    static long budgetShown(InflightConfig cfg) {
        return TrainerApp.budgetBytes(cfg);
    }

    /** The trainer's table now, summed over its tasks here (read on their threads); empty while they do not answer. */
    private static Optional<TableStats> table(String appId) {
        return TrainerTasks.tableStats(appId, Duration.ofSeconds(10));
    }

    /**
     * With one model from several partitions, whether the trainer task committed the events topic to
     * its end offset as of the first call after the intake tasks reached the clicks stop offsets
     * (everything they forwarded before them is in it, committed); true with the direct topology.
     */
    private boolean eventsDone(Admin admin, String appId) {
        if (!viaEvents) {
            return true;
        }
        if (eventsStop == null) {
            eventsStop = StopOffsets.untilCaughtUp(admin, TrainerTopology.eventsTopic(appId), 1, appId);
        }
        return eventsStop.reached(admin, TrainerTopology.eventsTopic(appId), appId);
    }

    /** Whether the trainer reads the clicks through the events topic (one model from several partitions). */
    private boolean viaEvents;
    /** The events topic's stop offset, read once the clicks stop offsets are reached. */
    private StopOffsets eventsStop;

    /** The stop offsets of --until-caught-up or --max-events (the topics made first), null for neither. */
    private StopOffsets stopOffsets(InflightConfig cfg) {
        if (!untilCaughtUp && maxEvents == null) {
            return null;
        }
        TrainerApp.ensureTopics(cfg);
        String topic = cfg.topics().clicks();
        String group = cfg.getString(InflightConfig.APPLICATION_ID);
        try (Admin admin = Admin.create(new HashMap<>(cfg.kafkaClientConfigs()))) {
            int partitions = TrainerApp.clicksPartitions(admin, topic);
            viaEvents = cfg.oneModel() && partitions > 1;
            if (viaEvents && maxEvents != null) {
                throw new IllegalArgumentException("--max-events " + maxEvents + " counts records per clicks partition, "
                        + "but with " + InflightConfig.TOPOLOGY_MODELS + "=one and " + partitions + " partitions in " + topic
                        + " one trainer task reads them interleaved and cannot stop at those offsets: use --until-caught-up, "
                        + "or " + InflightConfig.TOPOLOGY_MODELS + "=" + InflightConfig.MODELS_PER_PARTITION);
            }
            return untilCaughtUp ? StopOffsets.untilCaughtUp(admin, topic, partitions, group)
                    : StopOffsets.afterRecords(admin, topic, partitions, group, maxEvents);
        }
    }

    /**
     * What {@code train} prints when it stops: the metrics of the last progress reading (when the stores
     * were ever readable), how many accepted events were scored and how many were not ({@code pending},
     * -1 when unknown: after the stop offsets were reached ({@code ended}) the events read past them,
     * else those waiting for a whole batch), the table's bytes (against {@code budgetBytes} when above 0)
     * and rows as {@code demo} prints them (when the tasks answered), and the model hash, computed like
     * {@code demo}'s.
     */
    static String summary(Optional<ProgressiveMetrics.Summary> last, long pending, boolean ended, int batchSize,
                          Optional<TableStats> table, long budgetBytes, String hash, double seconds) {
        StringBuilder sb = new StringBuilder("=== Inflight train summary ===").append(System.lineSeparator());
        sb.append("  ").append(last.map(ProgressLine::summary).orElse("no metrics (the trainer's stores never became readable)"))
                .append(System.lineSeparator());
        last.ifPresent(s -> sb.append(String.format(Locale.ROOT, "  scored %,d events (each before learning from it)", s.events()))
                .append(pending > 0 && ended ? String.format(Locale.ROOT,
                        "; %,d events read past the stop offsets are held, not trained, for the next run", pending)
                        : pending > 0 ? String.format(Locale.ROOT,
                        "; %,d accepted events wait for a whole batch of %d and were not scored (--until-caught-up or "
                                + "--max-events train a last partial batch)", pending, batchSize)
                        : pending == 0 ? "; none waits for a batch" : "")
                .append(System.lineSeparator()));
        sb.append("  ").append(table.map(t -> TableLine.bytes(t, budgetBytes)).orElse("table: not readable (the trainer's tasks did not answer)"))
                .append(System.lineSeparator());
        table.ifPresent(t -> sb.append("  ").append(TableLine.rows(t)).append(System.lineSeparator()));
        sb.append(String.format(Locale.ROOT, "  trained for %.1f s", seconds)).append(System.lineSeparator());
        sb.append("  model hash (rows, optimizer state, dense): ").append(hash).append(System.lineSeparator());
        return sb.toString();
    }
}
