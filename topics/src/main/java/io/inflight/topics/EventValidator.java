package io.inflight.topics;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Semantic checks of a decoded event against {@link EventLimits}: label in {0, 1}, at least one
 * feature, no empty or duplicated field names, finite numbers, a sane event time.
 * Stateless and thread-safe.
 */
public final class EventValidator {

    private final EventLimits limits;

    public EventValidator(EventLimits limits) {
        this.limits = limits;
    }

    /**
     * Throws {@link MalformedEventException} for the first problem found.
     *
     * @param nowMs the processing clock, used only for the far-future check
     */
    public void validate(ClickEvent e, long nowMs) {
        if (e.label() != 0 && e.label() != 1) {
            throw new MalformedEventException(RejectReason.BAD_LABEL, "label must be 0 or 1, got " + e.label());
        }
        if (e.eventTimeMs() < limits.minEventTimeMs()) {
            throw new MalformedEventException(RejectReason.BAD_TIME,
                    "event time " + e.eventTimeMs() + " is before " + limits.minEventTimeMs());
        }
        if (e.eventTimeMs() > nowMs + limits.maxFutureSkewMs()) {
            throw new MalformedEventException(RejectReason.BAD_TIME,
                    "event time " + e.eventTimeMs() + " is more than " + limits.maxFutureSkewMs() + " ms in the future");
        }
        int features = e.featureCount();
        if (features == 0) {
            throw new MalformedEventException(RejectReason.NO_FEATURES, "event has no categorical feature");
        }
        if (features > limits.maxFeatures()) {
            throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES,
                    features + " features exceed the limit of " + limits.maxFeatures());
        }
        List<ClickEvent.Field> fields = e.fields();
        List<ClickEvent.Numeric> numerics = e.numerics();
        int names = fields.size() + numerics.size();
        Set<String> seen = new HashSet<>(Math.max(16, names * 2)); // sized once: no rehash per event
        for (int i = 0; i < fields.size(); i++) {
            checkName(fields.get(i).name(), seen);
        }
        for (int i = 0; i < numerics.size(); i++) {
            ClickEvent.Numeric n = numerics.get(i);
            checkName(n.name(), seen);
            if (!Double.isFinite(n.value())) {
                throw new MalformedEventException(RejectReason.NON_FINITE,
                        "numeric field '" + n.name() + "' is " + n.value());
            }
        }
    }

    private static void checkName(String name, Set<String> seen) {
        if (name.isEmpty()) {
            throw new MalformedEventException(RejectReason.EMPTY_NAME, "a field has an empty name");
        }
        if (!seen.add(name)) {
            throw new MalformedEventException(RejectReason.DUPLICATE_FIELD, "field '" + name + "' appears twice");
        }
    }
}
