package io.inflight.ops.generate;

import io.inflight.topics.ClickEvent;

/** Where generated events go: a file or a topic. Closing flushes everything written. */
public interface EventSink extends AutoCloseable {

    void write(ClickEvent event);

    @Override
    void close();
}
