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
        // few names (the common case): compared pairwise by their cached hashes, nothing allocated
        Set<String> seen = names > PAIRWISE_NAMES ? new HashSet<>(names * 2) : null;
        for (int i = 0; i < fields.size(); i++) {
            checkName(fields.get(i).name(), i, e, seen);
        }
        for (int i = 0; i < numerics.size(); i++) {
            ClickEvent.Numeric n = numerics.get(i);
            checkName(n.name(), fields.size() + i, e, seen);
            if (!Double.isFinite(n.value())) {
                throw new MalformedEventException(RejectReason.NON_FINITE,
                        "numeric field '" + n.name() + "' is " + n.value());
            }
        }
    }

    /** Up to this many names per event are checked for duplicates pairwise, more with a hash set. */
    static final int PAIRWISE_NAMES = 64;

    /** Checks the {@code index}-th name of {@code e} (fields, then numerics) against the ones before it. */
    private static void checkName(String name, int index, ClickEvent e, Set<String> seen) {
        if (name.isEmpty()) {
            throw new MalformedEventException(RejectReason.EMPTY_NAME, "a field has an empty name");
        }
        boolean repeated;
        if (seen != null) {
            repeated = !seen.add(name);
        } else {
            repeated = false;
            int h = name.hashCode();
            for (int j = 0; j < index && !repeated; j++) {
                String other = nameAt(e, j);
                repeated = other.hashCode() == h && other.equals(name);
            }
        }
        if (repeated) {
            throw new MalformedEventException(RejectReason.DUPLICATE_FIELD, "field '" + name + "' appears twice");
        }
    }

    private static String nameAt(ClickEvent e, int index) {
        int nFields = e.fields().size();
        return index < nFields ? e.fields().get(index).name() : e.numerics().get(index - nFields).name();
    }
}
