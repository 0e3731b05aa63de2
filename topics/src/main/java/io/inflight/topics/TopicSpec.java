package io.inflight.topics;

import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;

/** How one topic is created: name, partitions, replication factor and topic-level configs. */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs) {

    public TopicSpec {
        configs = Map.copyOf(configs);
    }

    public NewTopic toNewTopic() {
        return new NewTopic(name, partitions, replicationFactor).configs(configs);
    }
}
