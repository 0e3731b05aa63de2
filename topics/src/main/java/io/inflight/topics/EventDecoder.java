package io.inflight.topics;

/**
 * Turns a record value into a {@link ClickEvent}, or throws {@link MalformedEventException} with the
 * reason. One per input format (the binary {@link EventCodec}, JSON). Implementations are thread-safe.
 */
@FunctionalInterface
public interface EventDecoder {

    ClickEvent decode(byte[] value);
}
