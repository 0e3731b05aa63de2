package io.inflight.ops.bench;

import io.inflight.trainer.config.InflightConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Trainer instances as child JVMs ({@code inflight train}) sharing one application id, each with
 * its own state directory, Streams {@code client.id} and log file: started, watched (which
 * partitions each one consumes, its CPU time), killed with SIGKILL or stopped with SIGTERM.
 * What {@code inflight bench scale} and the failover integration test run.
 */
public final class TrainerCluster implements AutoCloseable {

    /** One child JVM: its index, its Streams {@code client.id}, the process and its log. */
    public record Instance(int index, String clientId, Process process, Path log) {

        /** CPU time (user + system) the process used so far; zero when the platform does not say. */
        public Duration cpu() {
            return process.info().totalCpuDuration().orElse(Duration.ZERO);
        }
    }

    /**
     * What a kill found: whom it killed, the partitions it consumed, the seconds from the kill until the
     * group was stable again without it (detection and rebalance; -1 when not seen) and until all those
     * partitions had committed progress (training resumed).
     */
    public record Failover(int victim, Set<TopicPartition> moved, double rebalancedSeconds, double resumeSeconds) {
    }

    private final Map<String, String> settings;
    private final Path dir;
    private final String appId;
    private final List<Instance> instances = new ArrayList<>();

    /**
     * @param settings the {@code --set} settings of every instance ({@code kafka.bootstrap.servers} and
     *                 {@code inflight.application.id} among them); each gets its own state directory
     * @param dir      where the instances' state directories and logs go
     */
    public TrainerCluster(Map<String, String> settings, Path dir) {
        this.settings = Map.copyOf(settings);
        this.dir = dir;
        this.appId = settings.get(InflightConfig.APPLICATION_ID);
        if (appId == null || settings.get(InflightConfig.BOOTSTRAP_SERVERS) == null) {
            throw new IllegalArgumentException("the cluster's settings need " + InflightConfig.APPLICATION_ID + " and "
                    + InflightConfig.BOOTSTRAP_SERVERS);
        }
    }

    public String applicationId() {
        return appId;
    }

    public List<Instance> instances() {
        return List.copyOf(instances);
    }

    /** Starts one more instance (state in {@code dir/state-<i>}, output in {@code dir/instance-<i>.log}). */
    public Instance start() throws IOException {
        int i = instances.size();
        String clientId = appId + "-i" + i;
        Map<String, String> m = new TreeMap<>(settings);
        m.put(InflightConfig.STATE_DIR, dir.resolve("state-" + i).toAbsolutePath().toString());
        m.put(InflightConfig.STREAMS_PREFIX + "client.id", clientId);
        Path log = dir.resolve("instance-" + i + ".log");
        Instance in = new Instance(i, clientId, ChildTrainer.start(m, log), log);
        instances.add(in);
        return in;
    }

    /** Throws, naming its log, when an instance that was not killed has exited. */
    public void checkAlive(Set<Integer> killed) {
        for (Instance in : instances) {
            if (!killed.contains(in.index()) && !in.process().isAlive()) {
                throw new IllegalStateException("trainer instance " + in.index() + " exited with "
                        + in.process().exitValue() + "; see " + in.log() + errorLines(in.log()));
            }
        }
    }

    /** The lines of the instances' logs that contain {@code text}. */
    public long linesContaining(String text) {
        long n = 0;
        for (Instance in : instances) {
            try (var lines = Files.lines(in.log(), StandardCharsets.UTF_8)) {
                n += lines.filter(l -> l.contains(text)).count();
            } catch (IOException | UncheckedIOException e) {
                throw new IllegalStateException("reading " + in.log() + " failed: " + e, e);
            }
        }
        return n;
    }

    /**
     * The log's error lines (ERROR and causes, else the last exceptions; at most 12, on one line, so that a
     * test report's summary shows why the instance exited), or its last line when it has none.
     */
    static String errorLines(Path log) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            return " (unreadable: " + e + ")";
        }
        List<String> errors = lines.stream()
                .filter(l -> l.contains(" ERROR ") || l.startsWith("error:") || l.startsWith("Caused by:"))
                .limit(12).toList();
        if (errors.isEmpty()) {
            errors = lines.stream().filter(l -> !l.startsWith("\t") && l.contains("Exception")).toList();
            errors = errors.subList(Math.max(0, errors.size() - 12), errors.size());
        }
        if (errors.isEmpty()) {
            return lines.isEmpty() ? " (empty)" : "; its last line: " + lines.get(lines.size() - 1);
        }
        return "; its errors: " + String.join(" | ", errors);
    }

    /**
     * The partitions each instance's consumer is assigned now (active tasks' inputs), by instance index;
     * empty unless the group is stable with {@code members} members and every one of them has some.
     */
    public Map<Integer, Set<TopicPartition>> owners(Admin admin, int members) throws Exception {
        ConsumerGroupDescription g;
        try {
            g = admin.describeConsumerGroups(List.of(appId)).all().get(10, TimeUnit.SECONDS).get(appId);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return Map.of(); // no member joined yet
            }
            throw e;
        }
        if (g.groupState() != GroupState.STABLE || g.members().size() != members) {
            return Map.of();
        }
        Map<Integer, Set<TopicPartition>> out = new HashMap<>();
        for (MemberDescription m : g.members()) {
            for (Instance in : instances) {
                if (m.clientId().startsWith(in.clientId() + "-StreamThread-")) {
                    out.computeIfAbsent(in.index(), k -> new HashSet<>()).addAll(m.assignment().topicPartitions());
                }
            }
        }
        boolean all = out.size() == members && out.values().stream().noneMatch(Set::isEmpty);
        return all ? out : Map.of();
    }

    /** The group's committed offsets (0 for a partition without one) of {@code partitions}. */
    public Map<TopicPartition, Long> committed(Admin admin, Collection<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition p : partitions) {
            OffsetAndMetadata o = c.get(p);
            out.put(p, o == null ? 0 : o.offset());
        }
        return out;
    }

    /** The log end offsets of {@code partitions}. */
    public static Map<TopicPartition, Long> ends(Admin admin, Collection<TopicPartition> partitions) throws Exception {
        var r = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                .all().get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        r.forEach((p, info) -> out.put(p, info.offset()));
        return out;
    }

    /**
     * Kills (SIGKILL) one of {@code members} running instances, then runs {@code afterKill} (e.g. the
     * rest of the input) and waits until every partition the victim consumed and that has records past
     * its committed offset at the kill has a committed offset past it: its tasks moved and made
     * committed progress. The victim is the instance consuming a partition of a topic other than
     * {@code clicksTopic} (a one-model trainer's input) if one does, else the one with the most partitions.
     *
     * @return the victim, its partitions and the seconds from the kill to the last of them resuming
     */
    public Failover killOneAndMeasure(Admin admin, int members, String clicksTopic, Runnable afterKill, Duration timeout)
            throws Exception {
        Map<Integer, Set<TopicPartition>> owners = Map.of();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (owners.isEmpty()) {
            checkAlive(Set.of());
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the group " + appId + " was not stable with " + members
                        + " members owning partitions within " + timeout.toSeconds() + " s");
            }
            owners = owners(admin, members);
            Thread.sleep(200);
        }
        int victim = owners.entrySet().stream()
                .max((a, b) -> {
                    boolean ta = a.getValue().stream().anyMatch(p -> !p.topic().equals(clicksTopic));
                    boolean tb = b.getValue().stream().anyMatch(p -> !p.topic().equals(clicksTopic));
                    return ta != tb ? Boolean.compare(ta, tb) : Integer.compare(a.getValue().size(), b.getValue().size());
                }).orElseThrow().getKey();
        Set<TopicPartition> moved = owners.get(victim);
        Instance in = instances.get(victim);
        in.process().destroyForcibly(); // SIGKILL: no clean close, an open transaction, no leave-group
        long killedAt = System.nanoTime();
        in.process().waitFor(30, TimeUnit.SECONDS);
        // read after the kill, once a commit the victim sent just before it had time to complete: what
        // moves past these offsets was committed by another instance (none takes over within 2 s)
        Thread.sleep(2_000);
        Map<TopicPartition, Long> before = committed(admin, moved);
        afterKill.run();
        double rebalanced = -1;
        while (true) {
            checkAlive(Set.of(victim));
            if (rebalanced < 0 && !owners(admin, members - 1).isEmpty()) {
                rebalanced = (System.nanoTime() - killedAt) / 1e9;
            }
            Map<TopicPartition, Long> now = committed(admin, moved);
            Map<TopicPartition, Long> end = ends(admin, moved);
            boolean waiting = false;
            boolean any = false;
            for (TopicPartition p : moved) {
                if (end.get(p) > before.get(p)) {
                    any = true;
                    waiting |= now.get(p) <= before.get(p);
                }
            }
            if (any && !waiting) {
                return new Failover(victim, moved, rebalanced, (System.nanoTime() - killedAt) / 1e9);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the tasks of killed instance " + victim + " (" + moved
                        + ") made no committed progress within " + timeout.toSeconds() + " s; committed " + now + ", ends "
                        + end + "; see the logs in " + dir);
            }
            Thread.sleep(100);
        }
    }

    /** Stops every live instance with SIGTERM (a clean close), SIGKILL after 60 s. */
    @Override
    public void close() {
        for (Instance in : instances) {
            in.process().destroy();
        }
        for (Instance in : instances) {
            try {
                if (!in.process().waitFor(60, TimeUnit.SECONDS)) {
                    in.process().destroyForcibly();
                    in.process().waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                in.process().destroyForcibly();
            }
        }
    }
}
