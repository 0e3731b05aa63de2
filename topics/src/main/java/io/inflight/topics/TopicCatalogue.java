package io.inflight.topics;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one list of Inflight's topics. Every topic name is {@code <prefix>.<suffix>}; creation
 * configs live here so that the trainer, the tools and the tests agree on them.
 *
 * <ul>
 *   <li>{@code clicks}: input events ({@link EventCodec} binary by default);</li>
 *   <li>{@code model-updates}: row and dense-parameter deltas, compacted so the latest value per
 *       key survives (a serving replica can rebuild the model from it);</li>
 *   <li>{@code dead-letter}: rejected input with its original bytes and the reason in headers;</li>
 *   <li>{@code predictions}: optional per-event scores made before learning.</li>
 * </ul>
 */
public record TopicCatalogue(String prefix, int partitions, short replicationFactor) {

    /** Kafka's legal topic characters; the prefix may not make a name longer than 249. */
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    /** The topics Inflight uses. */
    public enum Kind {
        CLICKS("clicks", Map.of("cleanup.policy", "delete")),
        MODEL_UPDATES("model-updates", Map.of("cleanup.policy", "compact", "min.compaction.lag.ms", "0")),
        DEAD_LETTER("dead-letter", Map.of("cleanup.policy", "delete", "retention.ms", "1209600000")),
        PREDICTIONS("predictions", Map.of("cleanup.policy", "delete"));

        private final String suffix;
        private final Map<String, String> configs;

        Kind(String suffix, Map<String, String> configs) {
            this.suffix = suffix;
            this.configs = configs;
        }

        public String suffix() {
            return suffix;
        }

        /** Topic-level configs applied at creation (and checked on existing topics). */
        public Map<String, String> configs() {
            return configs;
        }
    }

    public TopicCatalogue {
        if (prefix == null || prefix.isEmpty() || !LEGAL.matcher(prefix).matches()) {
            throw new IllegalArgumentException(
                    "topic prefix must be non-empty and use only [a-zA-Z0-9._-], got '" + prefix + "'");
        }
        if (prefix.length() > 200) {
            throw new IllegalArgumentException("topic prefix must be at most 200 characters, got " + prefix.length());
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replication factor must be >= 1, got " + replicationFactor);
        }
    }

    public String name(Kind kind) {
        return prefix + "." + kind.suffix();
    }

    public String clicks() {
        return name(Kind.CLICKS);
    }

    public String modelUpdates() {
        return name(Kind.MODEL_UPDATES);
    }

    public String deadLetter() {
        return name(Kind.DEAD_LETTER);
    }

    public String predictions() {
        return name(Kind.PREDICTIONS);
    }

    /** Creation specs of every topic in the catalogue, in {@link Kind} order. */
    public List<TopicSpec> specs() {
        return Arrays.stream(Kind.values())
                .map(k -> new TopicSpec(name(k), partitions, replicationFactor, k.configs()))
                .toList();
    }
}
