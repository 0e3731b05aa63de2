package io.inflight.topics.logs;

import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;

/**
 * How a log column becomes the 0/1 label. Spelled {@code binary} (the default: {@code 1}/{@code true}
 * is a click, {@code 0}/{@code -1}/{@code false} is not), {@code >=X}, {@code >X} (numeric
 * threshold, e.g. {@code >=4} for ratings) or {@code ==V} (a click iff the text equals {@code V}).
 */
public sealed interface LabelRule permits LabelRule.Binary, LabelRule.Threshold, LabelRule.EqualTo {

    /** The label of {@code text}; throws {@link MalformedEventException} (BAD_LABEL) when unreadable. */
    int label(String text);

    /** 1/0, true/false and -1 (libSVM/libFM negatives). */
    record Binary() implements LabelRule {
        @Override
        public int label(String t) {
            switch (t) {
                case "1", "true", "1.0", "+1" -> {
                    return 1;
                }
                case "0", "false", "-1", "0.0", "-1.0" -> {
                    return 0;
                }
                default -> throw new MalformedEventException(RejectReason.BAD_LABEL,
                        "label '" + t + "' is not one of 1, 0, -1, true, false");
            }
        }

        @Override
        public String toString() {
            return "binary";
        }
    }

    /** A click iff the value is above {@code threshold} ({@code >X}), or at least it ({@code >=X}) when {@code inclusive}. */
    record Threshold(double threshold, boolean inclusive) implements LabelRule {
        @Override
        public int label(String t) {
            double x = number(t);
            return x > threshold || inclusive && x == threshold ? 1 : 0;
        }

        @Override
        public String toString() {
            return (inclusive ? ">=" : ">") + threshold;
        }
    }

    /** A click iff the text equals {@code value}. */
    record EqualTo(String value) implements LabelRule {
        @Override
        public int label(String t) {
            return t.equals(value) ? 1 : 0;
        }

        @Override
        public String toString() {
            return "==" + value;
        }
    }

    private static double number(String t) {
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new MalformedEventException(RejectReason.BAD_LABEL, "label column value '" + t + "' is not a number");
        }
    }

    /** Parses {@code binary}, {@code >=X}, {@code >X} or {@code ==V}. */
    static LabelRule parse(String spec) {
        String s = spec.trim();
        try {
            if (s.isEmpty() || s.equals("binary")) {
                return new Binary();
            }
            if (s.startsWith(">=")) {
                return new Threshold(Double.parseDouble(s.substring(2).trim()), true);
            }
            if (s.startsWith(">")) {
                return new Threshold(Double.parseDouble(s.substring(1).trim()), false);
            }
            if (s.startsWith("==")) {
                return new EqualTo(s.substring(2).trim());
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("label rule '" + spec + "' has no number after the comparison");
        }
        throw new IllegalArgumentException("label rule must be binary, >=X, >X or ==V, got '" + spec + "'");
    }
}
