package io.inflight.policies;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@link ConfigDef} validators Kafka lacks, shared by the policy settings and the trainer's
 * configuration. Each fails with a {@link ConfigException} naming the key and the value.
 */
public final class ConfigValidators {

    private ConfigValidators() {
    }

    /**
     * A finite number in an interval: unlike Kafka's {@link ConfigDef.Range}, which lets NaN through
     * (every comparison with NaN is false), NaN and the infinities are refused, naming the key and the value.
     * Closed unless {@link #openBelow()} or {@link #openAbove()} say otherwise.
     */
    public static final class FiniteRange implements ConfigDef.Validator {
        private final double min;
        private final double max;
        private final boolean openBelow;
        private final boolean openAbove;

        private FiniteRange(double min, double max, boolean openBelow, boolean openAbove) {
            this.min = min;
            this.max = max;
            this.openBelow = openBelow;
            this.openAbove = openAbove;
        }

        /** {@code [min, max]}. */
        public static FiniteRange between(double min, double max) {
            return new FiniteRange(min, max, false, false);
        }

        /** The same interval without its lower end. */
        public FiniteRange openBelow() {
            return new FiniteRange(min, max, true, openAbove);
        }

        /** The same interval without its upper end. */
        public FiniteRange openAbove() {
            return new FiniteRange(min, max, openBelow, true);
        }

        @Override
        public void ensureValid(String name, Object value) {
            double v = ((Number) value).doubleValue();
            if (!Double.isFinite(v)) {
                throw new ConfigException(name, value, "must be a finite number in " + this);
            }
            if (v < min || v > max || (openBelow && v == min) || (openAbove && v == max)) {
                throw new ConfigException(name, value, "must be in " + this);
            }
        }

        @Override
        public String toString() {
            return (openBelow ? "(" : "[") + min + ", " + max + (openAbove ? ")" : "]");
        }
    }

    /** A power of two in {@code [min, max]} (an INT key). */
    public static ConfigDef.Validator powerOfTwo(int min, int max) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                int v = (Integer) value;
                if (v < min || v > max || Integer.bitCount(v) != 1) {
                    throw new ConfigException(name, value, "must be " + this);
                }
            }

            @Override
            public String toString() {
                return "a power of two in [" + min + ", " + max + "]";
            }
        };
    }

    /**
     * A value {@code parse} accepts (a STRING key), such as a name of an enum; its
     * {@link IllegalArgumentException} becomes a {@link ConfigException} naming the key and the value.
     *
     * @param accepted what the value may be, for the docs and the message (e.g. "one of zero, random")
     */
    public static ConfigDef.Validator parsedBy(Function<String, ?> parse, String accepted) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                try {
                    parse.apply((String) value);
                } catch (IllegalArgumentException e) {
                    throw new ConfigException(name, value, "must be " + accepted);
                }
            }

            @Override
            public String toString() {
                return accepted;
            }
        };
    }

    /** The config name of an enum constant: lower case, {@code -} for {@code _}. */
    public static String configName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant of {@code type} named {@code value} (case-insensitive, {@code _} accepted for {@code -}). */
    public static <E extends Enum<E>> E parseEnum(String value, Class<E> type) {
        return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /** A validator of {@link #parseEnum} names. */
    public static <E extends Enum<E>> ConfigDef.Validator enumName(Class<E> type) {
        List<String> names = Arrays.stream(type.getEnumConstants()).map(ConfigValidators::configName).toList();
        return parsedBy(v -> parseEnum(v, type), "one of " + names.stream().collect(Collectors.joining(", ")));
    }
}
