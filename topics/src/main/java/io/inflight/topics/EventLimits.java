package io.inflight.topics;

/**
 * Limits an event must respect to be trained on; anything outside goes to the dead-letter topic.
 *
 * @param maxFeatures      most categorical values in one event
 * @param maxStringBytes   most UTF-8 bytes in one field name or value
 * @param maxFutureSkewMs  how far past the processing clock an event time may lie
 * @param minEventTimeMs   earliest accepted event time (0 = the epoch)
 */
public record EventLimits(int maxFeatures, int maxStringBytes, long maxFutureSkewMs, long minEventTimeMs) {

    /** 1,000 features, 1 KiB strings, one day of clock skew, nothing before the epoch. */
    public static final EventLimits DEFAULTS = new EventLimits(1_000, 1_024, 86_400_000L, 0L);

    public EventLimits {
        if (maxFeatures < 1) {
            throw new IllegalArgumentException("maxFeatures must be >= 1, got " + maxFeatures);
        }
        if (maxStringBytes < 1) {
            throw new IllegalArgumentException("maxStringBytes must be >= 1, got " + maxStringBytes);
        }
        if (maxFutureSkewMs < 0) {
            throw new IllegalArgumentException("maxFutureSkewMs must be >= 0, got " + maxFutureSkewMs);
        }
    }
}
