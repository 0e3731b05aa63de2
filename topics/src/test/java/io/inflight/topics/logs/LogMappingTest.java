package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogMappingTest {

    @Test
    void shouldLoadAPropertiesFile(@TempDir Path dir) {
        Path f = LogTestFiles.write(dir, "talkingdata.properties", """
                label=is_attributed
                time=click_time
                time.format=yyyy-MM-dd HH:mm:ss
                categorical=ip,app,device,os,channel
                """);
        LogMapping m = LogMapping.load(f);
        assertThat(m.label()).isEqualTo("is_attributed");
        assertThat(m.labelRule()).isEqualTo(new LabelRule.Binary());
        assertThat(m.categorical()).containsExactly("ip", "app", "device", "os", "channel");
        assertThat(m.header()).isEqualTo(LogMapping.Header.TRUE);
    }

    @Test
    void shouldRejectBadMappingsByKey() {
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "categorical", "a", "lable", "x")))
                .hasMessageContaining("unknown mapping key 'lable'");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("categorical", "a"))).hasMessageContaining("label=COLUMN");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l"))).hasMessageContaining("no feature columns");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "numeric", "p:log3"))).hasMessageContaining("'log3'");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "numeric", "p:bounds:3|1"))).hasMessageContaining("increasing");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "categorical", "a", "label.rule", ">=x")))
                .hasMessageContaining(">=x");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "categorical", "a", "time", "t", "time.format", "yyyy-qq-bb")))
                .hasMessageContaining("yyyy-qq-bb");
        assertThatThrownBy(() -> LogMapping.parse(Map.of("label", "l", "categorical", "a", "header", "false")))
                .hasMessageContaining("columns=");
    }

    @Test
    void shouldBucketNumbers() {
        Bucketing log2 = Bucketing.parse("log2");
        assertThat(log2.bucket(0.5)).isEqualTo("0");
        assertThat(log2.bucket(1)).isEqualTo("1");
        assertThat(log2.bucket(3)).isEqualTo("2");
        assertThat(log2.bucket(4)).isEqualTo("3");
        assertThat(log2.bucket(-5)).isEqualTo("-3");
        Bucketing criteo = Bucketing.parse("criteo");
        assertThat(criteo.bucket(2)).isEqualTo("2");
        assertThat(criteo.bucket(-1)).isEqualTo("-1");
        assertThat(criteo.bucket(1000)).isEqualTo("L47"); // ln(1000)^2 = 47.7
        Bucketing bounds = Bucketing.parse("bounds:18|25|35");
        assertThat(bounds.bucket(10)).isEqualTo("0");
        assertThat(bounds.bucket(18)).isEqualTo("1");
        assertThat(bounds.bucket(34.9)).isEqualTo("2");
        assertThat(bounds.bucket(90)).isEqualTo("3");
        assertThat(Bucketing.parse("none").bucket(3)).isNull();
    }

    @Test
    void shouldDeriveLabelsAndTimes() {
        assertThat(LabelRule.parse(">=4").label("4")).isEqualTo(1);
        assertThat(LabelRule.parse(">=4").label("3.5")).isZero();
        assertThat(LabelRule.parse(">0").label("0")).isZero();
        assertThat(LabelRule.parse("==yes").label("yes")).isEqualTo(1);
        assertThat(LabelRule.parse("binary").label("-1")).isZero();
        assertThatThrownBy(() -> LabelRule.parse("binary").label("2")).isInstanceOfSatisfying(MalformedEventException.class,
                e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_LABEL));
        ZoneId utc = ZoneId.of("UTC");
        assertThat(TimeFormat.parse("epoch-s", utc).toEpochMs("881250949")).isEqualTo(881_250_949_000L);
        assertThat(TimeFormat.parse("epoch-ms", utc).toEpochMs("5")).isEqualTo(5L);
        assertThat(TimeFormat.parse("yyMMddHH", utc).toEpochMs("14102100")).isEqualTo(1_413_849_600_000L);
        assertThat(TimeFormat.parse("yyyy-MM-dd", ZoneId.of("Europe/Paris")).toEpochMs("2024-01-01")).isEqualTo(1_704_063_600_000L);
        assertThat(TimeFormat.parse("yyyy-MM-dd'T'HH:mmXXX", utc).toEpochMs("2024-01-01T01:00+01:00")).isEqualTo(1_704_067_200_000L);
        assertThatThrownBy(() -> TimeFormat.parse("yyMMddHH", utc).toEpochMs("14-10")).isInstanceOfSatisfying(
                MalformedEventException.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_TIME));
    }
}
