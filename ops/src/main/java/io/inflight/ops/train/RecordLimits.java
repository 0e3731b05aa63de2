package io.inflight.ops.train;

import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.topology.TrainerTopology;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start that the record size limits fit each other, so that no record the clicks topic
 * accepts can make the trainer produce one that is refused: the producer's {@code max.request.size}
 * must hold a dense chunk and a journal part, and dead letters, journal and checkpoint parts are
 * sized to the smallest of it and the output topics' {@code max.message.bytes}
 * ({@link TrainerTopology#MAX_RECORD_BYTES_CONFIG}).
 */
final class RecordLimits {

    /** Smallest {@code max.request.size} the trainer runs with: a 64 KiB dense chunk and a 128 KiB journal part. */
    static final int MIN_MAX_REQUEST_SIZE = 256 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(RecordLimits.class);

    private RecordLimits() {
    }

    /** The producer's {@code max.request.size} in {@code streams} (the {@code producer.} prefixed one first). */
    static int maxRequestSize(Properties streams) {
        int n = TrainerTopology.maxRequestSize(streams);
        if (n < MIN_MAX_REQUEST_SIZE) {
            String key = streams.containsKey("producer.max.request.size") ? "producer.max.request.size" : "max.request.size";
            throw new ConfigException("kafka." + key, n, "must be at least " + MIN_MAX_REQUEST_SIZE
                    + " bytes: the trainer writes dense chunks of 64 KiB and journal parts of up to half of it");
        }
        return n;
    }

    /**
     * Reads the output topics' {@code max.message.bytes} and, when one is below the producer's limit,
     * sets {@link TrainerTopology#MAX_RECORD_BYTES_CONFIG} in {@code streams} so the trainer sizes
     * its records to it; warns when the clicks topic accepts records whose dead letters must be cut.
     */
    static void apply(Admin admin, TopicCatalogue topics, Properties streams) {
        int limit = maxRequestSize(streams);
        Map<String, Integer> topicLimits = maxMessageBytes(admin, List.of(topics.clicks(), topics.deadLetter(),
                topics.modelUpdates()));
        int out = limit;
        for (String t : List.of(topics.deadLetter(), topics.modelUpdates())) {
            Integer m = topicLimits.get(t);
            if (m != null && m < out) {
                if (m < MIN_MAX_REQUEST_SIZE) {
                    throw new ConfigException("max.message.bytes of topic " + t, m, "must be at least "
                            + MIN_MAX_REQUEST_SIZE + " bytes for the trainer's records");
                }
                out = m;
            }
        }
        if (out < limit) {
            streams.put(TrainerTopology.MAX_RECORD_BYTES_CONFIG, Integer.toString(out));
        }
        Integer clicks = topicLimits.get(topics.clicks());
        if (clicks != null && clicks > out - 4096) {
            LOG.debug("topic {} accepts records of up to {} bytes; the dead letter of one larger than about {} bytes keeps "
                    + "only its first bytes (headers {}, inflight.reject.original.size and .sha256 say so)",
                    topics.clicks(), clicks, out - 4096, "inflight.reject.truncated");
        }
    }

    private static Map<String, Integer> maxMessageBytes(Admin admin, List<String> names) {
        Map<String, Integer> out = new HashMap<>();
        try {
            List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(60, TimeUnit.SECONDS);
            configs.forEach((r, c) -> {
                ConfigEntry e = c.get("max.message.bytes");
                if (e != null && e.value() != null) {
                    out.put(r.name(), Integer.parseInt(e.value()));
                }
            });
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("could not read the topics' max.message.bytes ({}); records are sized to max.request.size", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}
