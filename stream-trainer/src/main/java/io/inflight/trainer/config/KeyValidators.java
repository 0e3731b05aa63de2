package io.inflight.trainer.config;

import io.inflight.topics.TopicCatalogue;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The validators of {@link InflightConfig#DEF}'s list and topic keys; each fails with a
 * {@link ConfigException} naming the key and the value. (Number ranges: {@link ConfigDef.Range} for
 * integers, {@link io.inflight.policies.ConfigValidators.FiniteRange} for doubles.)
 */
final class KeyValidators {

    private KeyValidators() {
    }

    /** Largest hidden layer: 65,536 units (a 65,536 x 65,536 layer alone is 16 GiB of fp32 weights). */
    static final int MAX_HIDDEN = 1 << 16;

    /** Every element a positive integer, at most {@link #MAX_HIDDEN}. */
    static final class PositiveIntList implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object list) {
            String value = ((List<?>) list).stream().map(o -> o.toString().trim())
                    .collect(Collectors.joining(","));
            for (Object o : (List<?>) list) {
                try {
                    int size = Integer.parseInt(o.toString().trim());
                    if (size < 1 || size > MAX_HIDDEN) {
                        throw new ConfigException(name, value, "every size must be in [1, " + MAX_HIDDEN + "], got " + size);
                    }
                } catch (NumberFormatException e) {
                    throw new ConfigException(name, value, "'" + o + "' is not an integer");
                }
            }
        }

        @Override
        public String toString() {
            return "comma-separated integers in [1, " + MAX_HIDDEN + "]";
        }
    }

    /** Every element a numeric field spec ({@link NumericField#parse}), no name twice. */
    static final class NumericFieldList implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            List<String> specs = ((List<?>) value).stream().map(o -> o.toString().trim()).toList();
            try {
                NumericField.parseList(specs);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, String.join(",", specs), e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "comma-separated name, name:log or name:none";
        }
    }

    /** Validates a topic prefix with {@link TopicCatalogue}'s rules so a bad prefix fails at start. */
    static final class TopicPrefixValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                new TopicCatalogue((String) value, 1, (short) 1);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "[a-zA-Z0-9._-]+";
        }
    }

    /** No value (null: a default chosen later), or one {@code validator} accepts. */
    static ConfigDef.Validator optional(ConfigDef.Validator validator) {
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null) {
                    validator.ensureValid(name, value);
                }
            }

            @Override
            public String toString() {
                return validator + " (optional)";
            }
        };
    }
}
