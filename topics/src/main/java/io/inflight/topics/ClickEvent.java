package io.inflight.topics;

import java.util.List;
import java.util.Objects;

/**
 * One click (or impression) event: the unit the trainer scores and learns from.
 *
 * <p>Immutable. {@code id} is optional (null when absent). {@code label} is 0 or 1.
 * Categorical fields map a field name to one value or, for multi-valued fields, several values;
 * numeric fields carry a finite double. Field names are unique within each list (checked by
 * {@link EventValidator}, not by this constructor, so that malformed events can still be
 * represented and dead-lettered with a reason).
 *
 * @param id          optional event id, null when absent
 * @param eventTimeMs event time in milliseconds since the epoch
 * @param label       1 for a click, 0 otherwise
 * @param fields      categorical fields, in the order they were written
 * @param numerics    numeric fields, in the order they were written
 */
public record ClickEvent(String id, long eventTimeMs, int label, List<Field> fields, List<Numeric> numerics) {

    public ClickEvent {
        fields = List.copyOf(Objects.requireNonNull(fields, "fields"));
        numerics = List.copyOf(Objects.requireNonNull(numerics, "numerics"));
    }

    /** A categorical field with one value or several (multi-valued field). */
    public record Field(String name, List<String> values) {
        public Field {
            Objects.requireNonNull(name, "name");
            values = List.copyOf(Objects.requireNonNull(values, "values"));
        }

        public static Field of(String name, String value) {
            return new Field(name, List.of(value));
        }
    }

    /** A numeric field. */
    public record Numeric(String name, double value) {
        public Numeric {
            Objects.requireNonNull(name, "name");
        }
    }

    /** Total number of categorical values (features) this event carries. */
    public int featureCount() {
        int n = 0;
        for (Field f : fields) {
            n += f.values().size();
        }
        return n;
    }
}
