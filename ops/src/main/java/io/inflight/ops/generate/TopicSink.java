package io.inflight.ops.generate;

import io.inflight.ops.replay.ClicksProducer;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventCodec;
import io.inflight.topics.EventLimits;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes events to a topic in the binary {@link EventCodec} format through a {@link ClicksProducer}
 * (idempotent, acks=all), keyed by event id so that partitioning is deterministic. The first send
 * error fails the next write or the close: nothing is dropped silently.
 */
public final class TopicSink implements EventSink {

    private final ClicksProducer producer;
    private final EventCodec codec = new EventCodec(EventLimits.DEFAULTS);

    public TopicSink(Map<String, Object> clientConfigs, String topic) {
        this.producer = new ClicksProducer(clientConfigs, topic, "inflight-generate");
    }

    @Override
    public void write(ClickEvent e) {
        producer.send(e.id() == null ? null : e.id().getBytes(StandardCharsets.UTF_8), codec.encode(e));
    }

    @Override
    public void close() {
        producer.close();
    }
}
