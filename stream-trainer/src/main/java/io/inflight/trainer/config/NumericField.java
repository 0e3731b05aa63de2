package io.inflight.trainer.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A numeric field the dense layers of the mini-batch models read, with the transform applied to its
 * value on the way in. Spelled {@code name}, {@code name:log} or {@code name:none} in
 * {@code inflight.model.numeric.fields}; see {@link #parse(String)}.
 *
 * @param name      the numeric field's name in events ({@link io.inflight.topics.ClickEvent#numerics()})
 * @param transform what the model is fed for a value x
 */
public record NumericField(String name, Transform transform) {

    /** What a numeric value becomes before it is fed to the dense layers. */
    public enum Transform {
        /**
         * Signed log, {@code sign(x)·ln(1 + |x|)}: counts and prices spanning orders of magnitude land in a
         * range the MLP's first layer handles, 0 stays 0. {@link StrictMath}, so replays are bit-identical
         * on any platform.
         */
        LOG {
            @Override
            public float apply(double x) {
                return (float) (Math.signum(x) * StrictMath.log1p(Math.abs(x)));
            }
        },
        /** The raw value (for inputs already scaled to about [-1, 1]). */
        NONE {
            @Override
            public float apply(double x) {
                return (float) x;
            }
        };

        /** The transformed value of a finite {@code x}. */
        public abstract float apply(double x);

        /** The name used in the configuration: log or none. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public NumericField {
        Objects.requireNonNull(transform, "transform");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a numeric field needs a name, got '" + name + "'");
        }
    }

    /**
     * Parses {@code name}, {@code name:log} (the default transform) or {@code name:none}.
     *
     * @throws IllegalArgumentException naming the spec for an empty name or an unknown transform
     */
    public static NumericField parse(String spec) {
        String s = spec.trim();
        int colon = s.lastIndexOf(':');
        String name = colon < 0 ? s : s.substring(0, colon).trim();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("numeric field '" + spec + "' has no name; expected name, name:log or name:none");
        }
        if (colon < 0) {
            return new NumericField(name, Transform.LOG);
        }
        String t = s.substring(colon + 1).trim();
        return switch (t) {
            case "log" -> new NumericField(name, Transform.LOG);
            case "none" -> new NumericField(name, Transform.NONE);
            default -> throw new IllegalArgumentException("numeric field '" + spec + "' has unknown transform '" + t
                    + "'; expected name, name:log (signed log, the default) or name:none (raw value)");
        };
    }

    /**
     * Parses a list of specs (blank entries skipped).
     *
     * @throws IllegalArgumentException for a bad spec or a name given twice
     */
    public static List<NumericField> parseList(List<String> specs) {
        List<NumericField> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String spec : specs) {
            if (spec.isBlank()) {
                continue;
            }
            NumericField f = parse(spec);
            if (!seen.add(f.name())) {
                throw new IllegalArgumentException("numeric field '" + f.name() + "' is listed twice");
            }
            out.add(f);
        }
        return List.copyOf(out);
    }

    /** The spec this field parses from: {@code name:log} or {@code name:none}. */
    @Override
    public String toString() {
        return name + ":" + transform.configName();
    }
}
