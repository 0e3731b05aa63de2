package io.inflight.trainer.train;

import io.inflight.topics.ClickEvent;
import io.inflight.trainer.config.NumericField;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The numeric inputs of an event for the dense layers: one value per configured
 * {@link NumericField}, in configuration order, each passed through its transform. The trainer
 * ({@link BatchTrainer}) and the serving replica fill their {@code num} buffers with this one class,
 * so both feed the model the same floats.
 *
 * <p>A field the event does not carry feeds 0; so does a non-finite value (validated events carry
 * none: the trainer dead-letters them, but a scoring request is not validated). Numeric fields of
 * the event that are not configured are ignored. Immutable after construction, so {@link #fill}
 * may run on several threads at once; it allocates nothing.
 */
public final class NumericInputs {

    private final int size;
    private final Map<String, Integer> indexOf = new HashMap<>();
    private final NumericField.Transform[] transforms;

    public NumericInputs(List<NumericField> fields) {
        this.size = fields.size();
        this.transforms = new NumericField.Transform[size];
        for (int i = 0; i < size; i++) {
            NumericField f = fields.get(i);
            if (indexOf.put(f.name(), i) != null) {
                throw new IllegalArgumentException("numeric field '" + f.name() + "' is listed twice in " + fields);
            }
            transforms[i] = f.transform();
        }
    }

    /** Inputs per event. */
    public int size() {
        return size;
    }

    /** Writes {@code event}'s {@link #size()} inputs into {@code dst[offset, offset + size())}. */
    public void fill(ClickEvent event, float[] dst, int offset) {
        if (size == 0) {
            return;
        }
        Arrays.fill(dst, offset, offset + size, 0f);
        List<ClickEvent.Numeric> numerics = event.numerics();
        for (int i = 0; i < numerics.size(); i++) { // indexed: no iterator per event
            ClickEvent.Numeric n = numerics.get(i);
            Integer k = indexOf.get(n.name());
            if (k != null && Double.isFinite(n.value())) {
                dst[offset + k] = transforms[k].apply(n.value());
            }
        }
    }
}
