package io.inflight.policies;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * The value of {@value PolicySettings#PRECISION_LADDER}: precisions from most to fewest bits, each but the
 * last with its share, e.g. {@code fp32:0.05,fp16:0.15,int8:0.3,int4}.
 */
record LadderSetting(List<Precision> levels, List<Double> shares) {

    /** Validates a ladder, naming the key and the value. */
    static final ConfigDef.Validator VALIDATOR = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                parse((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "precisions with strictly decreasing bits, every one but the last with a share in [0, 1], "
                    + "the shares summing to at most 1";
        }
    };

    LadderSetting {
        levels = List.copyOf(levels);
        shares = List.copyOf(shares);
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code value} */
    static LadderSetting parse(String value) {
        List<Precision> levels = new ArrayList<>();
        List<Double> shares = new ArrayList<>();
        String[] parts = value.split(",");
        for (int i = 0; i < parts.length; i++) {
            String[] kv = parts[i].trim().split(":");
            boolean last = i == parts.length - 1;
            if (kv.length != (last ? 1 : 2)) {
                throw new IllegalArgumentException("must look like fp32:0.05,fp16:0.15,int8:0.3,int4"
                        + " (every level but the last with a share)");
            }
            try {
                levels.add(Precision.valueOf(kv[0].trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown precision '" + kv[0].trim() + "'");
            }
            if (i > 0 && levels.get(i).bits() >= levels.get(i - 1).bits()) {
                throw new IllegalArgumentException("levels must have strictly decreasing bits");
            }
            if (!last) {
                shares.add(share(kv[1].trim()));
            }
        }
        if (shares.stream().mapToDouble(Double::doubleValue).sum() > 1 + 1e-9) {
            throw new IllegalArgumentException("shares must sum to <= 1");
        }
        return new LadderSetting(levels, shares);
    }

    private static double share(String s) {
        double share;
        try {
            share = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("share '" + s + "' is not a number");
        }
        if (!Double.isFinite(share)) {
            throw new IllegalArgumentException("share '" + s + "' is not a finite number");
        }
        if (share < 0 || share > 1) {
            throw new IllegalArgumentException("share '" + s + "' is outside [0, 1]");
        }
        return share;
    }

    /** The value {@link #parse} reads back. */
    @Override
    public String toString() {
        StringBuilder ladder = new StringBuilder();
        for (int i = 0; i < levels.size(); i++) {
            if (i > 0) {
                ladder.append(',');
            }
            ladder.append(levels.get(i).name().toLowerCase(Locale.ROOT));
            if (i < shares.size()) {
                ladder.append(':').append(shares.get(i));
            }
        }
        return ladder.toString();
    }
}
