package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.bench.PredictionLog;
import io.inflight.ops.bench.TrainerCluster;
import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.ops.generate.SyntheticStream;
import io.inflight.ops.replay.ClicksProducer;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import io.inflight.trainer.config.InflightConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * Failover the Kafka Streams way: three trainer instances (child JVMs, one application id, their own
 * state directories, one standby replica per task) on a 4-partition clicks topic; once they train,
 * one is killed with SIGKILL, the rest of the input is produced, and the others take its tasks and
 * train to the end, with the rows in the trainer task and with the rows in three row shards. Every
 * event is scored exactly once in the committed predictions: none lost, none twice. Prints the time from the kill to the moved tasks' first committed progress (no
 * assertion on it: the machine is shared).
 */
@Timeout(600)
class FailoverIT {

    private static final int PARTITIONS = 4;
    private static final int BATCH = 50;
    /** Whole batches in every partition (and in one trainer fed by all of them): no partial batch waits at the end. */
    private static final int EVENTS = PARTITIONS * BATCH * 120;

    /** Without row shards (the rows in the trainer task), and with three row shards spread over the instances. */
    @ParameterizedTest(name = "row shards: {0}")
    @ValueSource(ints = {0, 3})
    void shouldScoreEveryEventExactlyOnceWhenOneOfThreeInstancesIsKilled(int shards) throws Exception {
        String prefix = shards == 0 ? "fo" : "fos";
        ItFixtures.onBroker("failover-" + shards, (dir, broker) -> {
            Map<String, String> raw = ItFixtures.trainerSettings(broker, prefix, dir.resolve("unused-state"));
            raw.remove(InflightConfig.STATE_DIR); // each instance has its own
            raw.put(InflightConfig.TOPIC_PARTITIONS, Integer.toString(PARTITIONS));
            raw.put(InflightConfig.APPLICATION_ID, prefix + "-trainer");
            raw.put(InflightConfig.TOPOLOGY_SHARDS, Integer.toString(shards));
            raw.put(InflightConfig.MODEL_TYPE, "fm");
            raw.put(InflightConfig.MODEL_FIELDS, "f0,f1,f2,f3,f4,f5,f6,f7");
            raw.put(InflightConfig.BATCH_SIZE, Integer.toString(BATCH));
            raw.put(InflightConfig.PUBLISH_EVERY, "10");
            raw.put(InflightConfig.PREDICTIONS_ENABLED, "true");
            // checkpoints during the run: a moved task loads one and re-applies the journal after it
            raw.put(InflightConfig.CHECKPOINT_INTERVAL_MS, "2000");
            raw.put(InflightConfig.STREAMS_PREFIX + "num.standby.replicas", "1");
            InflightConfig config = InflightConfig.parse(raw);
            TrainerApp.ensureTopics(config);

            EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
            List<byte[]> events = new ArrayList<>(EVENTS);
            SyntheticStream s = new SyntheticStream(GeneratorSpec.defaults(EVENTS, 11));
            while (s.hasNext()) {
                events.add(codec.encode(s.nextEvent()));
            }
            int firstPart = EVENTS / 3;

            long t0 = System.nanoTime();
            Map<String, Object> kafka = new HashMap<>(config.kafkaClientConfigs());
            try (Admin admin = Admin.create(kafka);
                 TrainerCluster cluster = new TrainerCluster(raw, dir.resolve("instances"));
                 PredictionLog live = new PredictionLog(kafka, config.topics().predictions())) {
                for (int i = 0; i < 3; i++) {
                    cluster.start();
                }
                // all three own tasks before there is any state (a task with state stays where its state is
                // until a probing rebalance: an instance joining late could own none)
                Await.until(Duration.ofSeconds(180), Duration.ofMillis(200), () -> "three instances owning tasks",
                        () -> cluster.checkAlive(Set.of()), () -> cluster.owners(admin, 3).isEmpty() ? null : Boolean.TRUE);
                produce(broker.bootstrapServers(), prefix, events, 0, firstPart);
                // training under way: a first share of the events scored
                live.await(EVENTS / 12, Duration.ofSeconds(180), () -> cluster.checkAlive(Set.of()));
                TrainerCluster.Failover f = cluster.killOneAndMeasure(admin, 3, config.topics().clicks(),
                        () -> produce(broker.bootstrapServers(), prefix, events, firstPart, EVENTS), Duration.ofSeconds(180));
                System.out.printf(Locale.ROOT, "FailoverIT (%d row shards): killed instance %d (consuming %s); the group was "
                        + "stable without it %.1f s and its tasks made committed progress again %.1f s after the kill (1 "
                        + "standby replica)%n", shards, f.victim(), f.moved(), f.rebalancedSeconds(), f.resumeSeconds());
                assertThat(f.moved()).isNotEmpty();
                live.await(EVENTS, Duration.ofSeconds(180), () -> cluster.checkAlive(Set.of(f.victim())));
                System.out.printf(Locale.ROOT, "FailoverIT (%d row shards): Streams threads replaced after a failure: %d%n",
                        shards, cluster.linesContaining(TrainerApp.THREAD_REPLACED));
            }
            // the survivors closed: everything they committed is readable; read it all again from the start
            try (PredictionLog all = new PredictionLog(kafka, config.topics().predictions())) {
                all.await(EVENTS, Duration.ofSeconds(60), () -> { });
                PredictionLog.Snapshot r = all.awaitEnd(Duration.ofSeconds(60));
                BitSet expected = new BitSet();
                expected.set(0, EVENTS);
                assertThat(r.unparsed()).isZero();
                assertThat(r.ids()).as("the events scored").isEqualTo(expected); // none lost (and none dead-lettered)
                assertThat(r.duplicates()).as("events scored twice").isZero();
                assertThat(r.records()).isEqualTo(EVENTS);
                assertThat(all.auc()).isGreaterThan(0.6); // the model learned through the failover
            }
            System.out.printf(Locale.ROOT, "FailoverIT: %d events, wall time %.0f s%n", EVENTS, (System.nanoTime() - t0) / 1e9);
        });
    }

    private static void produce(String bootstrap, String prefix, List<byte[]> events, int from, int to) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (var producer = new KafkaProducer<>(ClicksProducer.inOrder(Map.<String, Object>of("bootstrap.servers", bootstrap)),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                sent.add(producer.send(new ProducerRecord<>(prefix + ".clicks", i % PARTITIONS, null, events.get(i))));
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(); // every event was written: what is not scored was lost by the trainers
            }
        } catch (Exception e) {
            throw new IllegalStateException("producing events " + from + ".." + to + " failed", e);
        }
    }
}
