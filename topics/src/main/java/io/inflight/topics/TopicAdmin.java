package io.inflight.topics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates missing topics of a catalogue and checks that existing ones have the configs Inflight relies on. */
public final class TopicAdmin {

    private TopicAdmin() {
    }

    /**
     * Creates the topics of {@code specs} that do not exist. For topics that exist, checks the
     * {@code cleanup.policy} (a non-compacted model-updates topic would lose the model) and fails
     * with the topic, the expected and the actual value when it differs.
     *
     * @return the names of the topics this call created
     */
    public static List<String> ensureTopics(Admin admin, Collection<TopicSpec> specs, long timeoutMs) {
        try {
            Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            List<TopicSpec> present = new ArrayList<>();
            for (TopicSpec s : specs) {
                if (existing.contains(s.name())) {
                    present.add(s);
                } else {
                    missing.add(s.toNewTopic());
                }
            }
            List<String> created = new ArrayList<>();
            if (!missing.isEmpty()) {
                var result = admin.createTopics(missing);
                for (var e : result.values().entrySet()) {
                    try {
                        e.getValue().get(timeoutMs, TimeUnit.MILLISECONDS);
                        created.add(e.getKey());
                    } catch (ExecutionException ex) {
                        if (!(ex.getCause() instanceof TopicExistsException)) {
                            throw new IllegalStateException("could not create topic " + e.getKey() + ": "
                                    + ex.getCause().getMessage(), ex.getCause());
                        }
                    }
                }
            }
            checkCleanupPolicy(admin, present, timeoutMs);
            awaitLeaders(admin, created, timeoutMs);
            return created;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not list or create topics: " + e, e);
        }
    }

    /**
     * Waits until every partition of the topics just created has a leader. A producer that writes
     * to a partition the broker does not lead yet gets NOT_LEADER_OR_FOLLOWER, and an idempotent
     * producer's retry of its first batch can then come after later ones and be refused as out of
     * order until its delivery timeout (seen on the embedded broker).
     */
    private static void awaitLeaders(Admin admin, List<String> topics, long timeoutMs) throws InterruptedException {
        if (topics.isEmpty()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            try {
                var described = admin.describeTopics(topics).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS);
                if (described.values().stream().allMatch(t -> t.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                // not known yet to the broker that answered: ask again
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + topics + " have no leader " + timeoutMs + " ms after they were created");
            }
            Thread.sleep(20);
        }
    }

    private static void checkCleanupPolicy(Admin admin, List<TopicSpec> present, long timeoutMs)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<ConfigResource> resources = present.stream()
                .filter(s -> s.configs().containsKey("cleanup.policy"))
                .map(s -> new ConfigResource(ConfigResource.Type.TOPIC, s.name()))
                .toList();
        if (resources.isEmpty()) {
            return;
        }
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(timeoutMs, TimeUnit.MILLISECONDS);
        for (TopicSpec s : present) {
            Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, s.name()));
            String want = s.configs().get("cleanup.policy");
            if (c == null || want == null) {
                continue;
            }
            ConfigEntry have = c.get("cleanup.policy");
            if (have != null && !have.value().contains(want)) {
                throw new IllegalStateException("topic " + s.name() + " exists with cleanup.policy=" + have.value()
                        + " but Inflight needs cleanup.policy=" + want + "; fix it with kafka-configs or choose another prefix");
            }
        }
    }
}
