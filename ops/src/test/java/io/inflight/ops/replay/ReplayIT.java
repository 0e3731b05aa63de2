package io.inflight.ops.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.ops.ItFixtures;
import io.inflight.ops.broker.EmbeddedBroker;
import io.inflight.ops.cli.CliRun;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code inflight replay} against a real embedded broker: files → clicks, strict mode, topic → topic, dry run. */
@Timeout(300)
class ReplayIT {

    /** Two files sorted by time and interleaved, one malformed line (a.csv:4), one event without features (b.csv:3). */
    private static final String A = "t,click,site,tags\n1000,1,s1,x|y\n3000,0,s3,\nnot-a-time,1,s9,\n5000,1,s5,z\n";
    private static final String B = "t,click,site,tags\n2000,0,s2,\n4000,1,,\n6000,0,s6,w\n";

    @Test
    void shouldReplayFilesInTimeOrderSkipBadLinesAndCopyTopics() throws Exception {
        Path dir = ItFixtures.workDir("replay");
        Path a = Files.writeString(dir.resolve("a.csv"), A);
        Path b = Files.writeString(dir.resolve("b.csv"), B);
        Path mapping = Files.writeString(dir.resolve("m.properties"),
                "format=csv\nlabel=click\ntime=t\ncategorical=site,tags\nmulti=tags\n");
        try (EmbeddedBroker broker = EmbeddedBroker.start(dir.resolve("broker"), 0, 0)) {
            String bs = broker.bootstrapServers();

            CliRun run = cli("replay", "--mapping", mapping.toString(), dir + "/*.csv", "-b", bs, "--set", "inflight.topic.prefix=it");
            assertThat(run.rc()).as(run.all()).isZero();
            assertThat(run.err()).contains("skipped " + a + ":4: bad-time").contains("skipped " + b + ":3: no-features");
            assertThat(run.out()).contains("Produced 5 events, skipped 2 (malformed)");

            List<ClickEvent> events = consume(bs, "it.clicks", 5);
            assertThat(events).extracting(ClickEvent::eventTimeMs).containsExactly(1000L, 2000L, 3000L, 5000L, 6000L);
            assertThat(events.get(0)).isEqualTo(new ClickEvent(null, 1000, 1,
                    List.of(ClickEvent.Field.of("site", "s1"), new ClickEvent.Field("tags", List.of("x", "y"))), List.of()));
            assertThat(events).extracting(ClickEvent::label).containsExactly(1, 0, 0, 1, 0);

            CliRun strict = cli("replay", "--mapping", mapping.toString(), a.toString(), "--strict", "-b", bs, "--set", "inflight.topic.prefix=it3");
            assertThat(strict.rc()).isEqualTo(1);
            assertThat(strict.err()).contains("error: stopped at " + a + ":4: bad-time");

            CliRun copy = cli("replay", "--from-topic", "it.clicks", "--from-offset", "2", "-b", bs, "--set", "inflight.topic.prefix=it2");
            assertThat(copy.rc()).as(copy.all()).isZero();
            assertThat(copy.out()).contains("Produced 3 events");
            assertThat(consume(bs, "it2.clicks", 3)).isEqualTo(events.subList(2, 5));
        }
    }

    @Test
    void shouldPrintFieldStatisticsOnADryRunWithoutABroker() throws Exception {
        Path dir = ItFixtures.workDir("dryrun");
        Path a = Files.writeString(dir.resolve("a.csv"), A);
        CliRun run = cli("replay", "--dry-run", "--format", "csv", "--map", "label=click", "--map", "time=t", "--map", "categorical=site,tags",
                "--map", "multi=tags", a.toString());
        assertThat(run.rc()).as(run.all()).isZero();
        assertThat(run.out()).contains("events 3, clicks 2 (rate 0.6667)")
                .containsPattern("site +0\\.00% +3 +s1 \\(1\\), s3 \\(1\\), s5 \\(1\\)")
                .containsPattern("tags +33\\.33% +3 +x \\(1\\), y \\(1\\), z \\(1\\)")
                .contains("Validated 3 events, skipped 1 (malformed)");
        assertThat(run.err()).contains("skipped " + a + ":4: bad-time");
    }

    private static CliRun cli(String... args) {
        CliRun r = CliRun.of(args);
        System.out.print(r.out());
        return r;
    }

    private static List<ClickEvent> consume(String bootstrap, String topic, int expected) {
        EventCodec codec = new EventCodec(EventLimits.DEFAULTS);
        List<ClickEvent> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(codec.decode(r.value()));
                }
            }
            assertThat(c.partitionsFor(topic)).hasSize(1);
        }
        assertThat(out).hasSize(expected);
        return out;
    }
}
