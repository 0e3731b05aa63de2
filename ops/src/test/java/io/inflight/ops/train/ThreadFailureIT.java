package io.inflight.ops.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.Await;
import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.policies.PolicySettings;
import io.inflight.trainer.config.InflightConfig;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.topology.Faults;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Streams thread that fails on what no record causes (here a Kafka exception thrown while a batch
 * trains, once) is replaced and its tasks resume from their last commit: every event is scored once,
 * and with the rows in the trainer the committed predictions and the model are bit for bit those of a
 * run without the failure. With {@code inflight.recovery.thread.restarts=0} the first failure stops
 * the instance, as before.
 */
@Timeout(600)
class ThreadFailureIT {

    private static final int EVENTS = 3_000;
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    /** Throws a Kafka exception (an infrastructure failure, not the record's) once, at the {@code at}-th event trained. */
    private static Faults failOnceAt(long at, AtomicBoolean fired) {
        AtomicLong seen = new AtomicLong();
        return (stage, subject) -> {
            if (stage == Faults.Stage.TRAIN && seen.incrementAndGet() >= at && fired.compareAndSet(false, true)) {
                throw new KafkaException("injected: the broker went away while a batch trained");
            }
        };
    }

    private static Map<String, String> settings(EmbeddedBroker broker, String prefix, String appId, Path state, int shards) {
        Map<String, String> raw = OneModelIT.settings(broker, prefix, appId, state, InflightConfig.MODELS_ONE);
        raw.put(PolicySettings.MODE, "none");
        raw.put(InflightConfig.TOPOLOGY_SHARDS, Integer.toString(shards));
        return raw;
    }

    private record Run(List<String> predictions, String hash, long replaced) {
    }

    /** Trains the clicks topic to its end; the predictions this run committed (the topic held {@code before}). */
    private static Run train(EmbeddedBroker broker, Map<String, String> raw, Faults faults, String predictionsTopic, int before)
            throws Exception {
        AtomicReference<Throwable> fatal = new AtomicReference<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TrainerApp app = TrainerApp.start(InflightConfig.parse(raw), fatal::set, registry, BatchModels::create, faults)) {
            TrainerRuns.await(app, EVENTS, fatal, Duration.ofSeconds(300));
            String hash = app.modelHash().orElseThrow();
            long replaced = app.meters().threadsReplaced();
            app.close(Duration.ofSeconds(60));
            List<String> all = new ArrayList<>();
            OneModelStreams.readAll(broker, predictionsTopic, r -> all.add(new String(r.value(), StandardCharsets.UTF_8)));
            assertThat(all).as("predictions committed (none lost, none twice)").hasSize(before + EVENTS);
            return new Run(all.subList(before, all.size()), hash, replaced);
        }
    }

    @ParameterizedTest(name = "row shards: {0}")
    @ValueSource(ints = {0, 2})
    void shouldReplaceAFailedThreadAndScoreEveryEventOnce(int shards) throws Exception {
        ItFixtures.onBroker("thread-failure-" + shards, (dir, broker) -> {
            String prefix = "tf" + shards;
            OneModelStreams.produce(broker, prefix, 1, EVENTS, 0);
            Run clean = train(broker, settings(broker, prefix, prefix + "-clean", dir.resolve("clean"), shards), Faults.NONE,
                    prefix + ".predictions", 0);
            AtomicBoolean fired = new AtomicBoolean();
            Run failed = train(broker, settings(broker, prefix, prefix + "-failed", dir.resolve("failed"), shards),
                    failOnceAt(EVENTS / 2, fired), prefix + ".predictions", EVENTS);
            assertThat(fired).as("the fault was injected").isTrue();
            assertThat(clean.replaced()).isZero();
            assertThat(failed.replaced()).as("threads replaced").isEqualTo(1);
            Set<String> ids = new HashSet<>();
            for (String p : failed.predictions()) {
                Matcher m = ID.matcher(p);
                assertThat(m.find()).as(p).isTrue();
                assertThat(ids.add(m.group(1))).as("scored once: %s", p).isTrue();
            }
            assertThat(ids).hasSize(EVENTS);
            if (shards == 0) {
                // the rows in the trainer: recovery re-applies the journal to the same model, bit for bit
                assertThat(failed.predictions()).containsExactlyElementsOf(clean.predictions());
                assertThat(failed.hash()).isEqualTo(clean.hash());
            }
        });
    }

    @Test
    void shouldStopAtTheFirstFailureWithoutRestarts() throws Exception {
        ItFixtures.onBroker("thread-failure-stop", (dir, broker) -> {
            OneModelStreams.produce(broker, "tfs", 1, EVENTS, 0);
            Map<String, String> raw = settings(broker, "tfs", "tfs-trainer", dir.resolve("state"), 0);
            raw.put(InflightConfig.THREAD_RESTARTS, "0");
            AtomicReference<Throwable> fatal = new AtomicReference<>();
            AtomicBoolean fired = new AtomicBoolean();
            try (TrainerApp app = TrainerApp.start(InflightConfig.parse(raw), fatal::set, new SimpleMeterRegistry(),
                    BatchModels::create, failOnceAt(EVENTS / 2, fired))) {
                Throwable t = Await.until(Duration.ofSeconds(180), Duration.ofMillis(100), () -> "the instance stopping",
                        () -> { }, fatal::get);
                assertThat(t).hasRootCauseMessage("injected: the broker went away while a batch trained");
                Await.until(Duration.ofSeconds(60), Duration.ofMillis(100), () -> "Kafka Streams in ERROR",
                        () -> { }, () -> app.state() == KafkaStreams.State.ERROR ? Boolean.TRUE : null);
                assertThat(app.meters().threadsReplaced()).isZero();
            }
        });
    }
}
