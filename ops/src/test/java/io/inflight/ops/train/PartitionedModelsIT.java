package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.ops.serve.ServingModel;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.topics.ModelUpdateCodec;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import io.inflight.trainer.model.BatchModels;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With {@code inflight.topology.models=per-partition}, two clicks partitions train two model replicas:
 * each publishes under its own keys, so the compacted model-updates topic keeps both, and a serving
 * replica follows the one it is told to. (The default, {@code one}, trains one model: OneModelIT.)
 */
@Timeout(300)
class PartitionedModelsIT {

    private static final int EVENTS = 8_000;

    @Test
    void shouldPublishEachPartitionsModelUnderItsOwnKeys() throws Exception {
        ItFixtures.onBroker("partitions", (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, "pm", dir.resolve("state"));
            raw.put(InflightConfig.TOPIC_PARTITIONS, "2");
            raw.put(InflightConfig.TOPOLOGY_MODELS, InflightConfig.MODELS_PER_PARTITION); // the mode this test documents
            raw.put(InflightConfig.APPLICATION_ID, "pm-trainer");
            raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
            raw.put(InflightConfig.BATCH_SIZE, "50");
            raw.put(InflightConfig.PUBLISH_EVERY, "10");
            InflightConfig config = InflightConfig.parse(raw);
            TrainerApp.ensureTopics(config);
            EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
            try (var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers",
                    broker.bootstrapServers())), new ByteArraySerializer(), new ByteArraySerializer())) {
                SyntheticStream s = new SyntheticStream(GeneratorSpec.defaults(EVENTS, 3));
                for (int i = 0; s.hasNext(); i++) {
                    producer.send(new ProducerRecord<>("pm.clicks", i % 2, null, codec.encode(s.nextEvent())));
                }
            }
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            try (TrainerApp app = TrainerApp.start(config, fatal::set)) {
                ProgressiveMetrics.Summary s = TrainerRuns.await(app, EVENTS, fatal, Duration.ofSeconds(180));
                assertThat(s.events()).isEqualTo(EVENTS); // both tasks, whole batches of 50
                app.close(Duration.ofSeconds(60));
            }

            Set<Integer> rowModels = new HashSet<>();
            Set<Integer> denseModels = new HashSet<>();
            Map<Integer, Set<Long>> rowsOf = new HashMap<>();
            ServingModel one = new ServingModel(config.batchSettings(), BatchModels::create, 1);
            Map<String, Object> c = new HashMap<>(config.kafkaClientConfigs());
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            try (var consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                var parts = List.of(new TopicPartition("pm.model-updates", 0), new TopicPartition("pm.model-updates", 1));
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                Map<TopicPartition, Long> end = consumer.endOffsets(parts);
                while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (var r : consumer.poll(Duration.ofMillis(200))) {
                        ModelUpdateCodec.Key k = ModelUpdateCodec.parseKey(r.key());
                        (k.row() ? rowModels : denseModels).add(k.model());
                        if (k.row()) {
                            rowsOf.computeIfAbsent(k.model(), m -> new HashSet<>()).add(k.id());
                        }
                        one.apply(r.key(), r.value());
                    }
                }
            }
            assertThat(rowModels).containsExactlyInAnyOrder(0, 1);
            assertThat(denseModels).containsExactlyInAnyOrder(0, 1);
            // popular features are in both partitions' streams: both models published their own rows for them
            Set<Long> shared = new HashSet<>(rowsOf.get(0));
            shared.retainAll(rowsOf.get(1));
            assertThat(shared).isNotEmpty();
            assertThat(one.rows()).isEqualTo(rowsOf.get(1).size()); // no eviction: every row of model 1, none of model 0
            assertThat(one.denseVersion()).isPositive();
        });
    }
}
