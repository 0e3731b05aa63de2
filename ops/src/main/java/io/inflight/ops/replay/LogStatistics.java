package io.inflight.ops.replay;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Per-field statistics of a log for {@code replay --dry-run}: how often each field is present, its
 * distinct values and its five most frequent values; numeric fields get count, min, mean and max.
 *
 * <p>Distinct values are counted exactly while a field has at most {@code distinctCap} of them; past
 * the cap the figure is a HyperLogLog estimate (about 0.8% standard error) and is printed with
 * {@code ~}; the top values are then counted among the first {@code distinctCap} distinct values only
 * (marked {@code *}). Not thread-safe.
 */
public final class LogStatistics {

    private final int distinctCap;
    private final Map<String, Categorical> categorical = new LinkedHashMap<>();
    private final Map<String, Numeric> numeric = new LinkedHashMap<>();
    private long events;
    private long clicks;
    private long minTime = Long.MAX_VALUE;
    private long maxTime = Long.MIN_VALUE;

    public LogStatistics(int distinctCap) {
        if (distinctCap < 1) {
            throw new IllegalArgumentException("--distinct-cap must be >= 1, got " + distinctCap);
        }
        this.distinctCap = distinctCap;
    }

    private static final class Categorical {
        long present;
        long values;
        final Map<String, long[]> counts = new HashMap<>();
        final HyperLogLog hll = new HyperLogLog();
        boolean capped;
    }

    private static final class Numeric {
        long present;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum;
    }

    /** Adds one event. */
    public void add(ClickEvent e) {
        events++;
        clicks += e.label() == 1 ? 1 : 0;
        minTime = Math.min(minTime, e.eventTimeMs());
        maxTime = Math.max(maxTime, e.eventTimeMs());
        for (ClickEvent.Field f : e.fields()) {
            Categorical c = categorical.computeIfAbsent(f.name(), k -> new Categorical());
            c.present++;
            for (String v : f.values()) {
                c.values++;
                c.hll.add(FeatureKeys.key("", v));
                long[] n = c.counts.get(v);
                if (n != null) {
                    n[0]++;
                } else if (c.counts.size() < distinctCap) {
                    c.counts.put(v, new long[] {1});
                } else {
                    c.capped = true;
                }
            }
        }
        for (ClickEvent.Numeric n : e.numerics()) {
            Numeric s = numeric.computeIfAbsent(n.name(), k -> new Numeric());
            s.present++;
            s.min = Math.min(s.min, n.value());
            s.max = Math.max(s.max, n.value());
            s.sum += n.value();
        }
    }

    public long events() {
        return events;
    }

    /** Distinct values of a categorical field: exact, or an estimate past the cap; -1 for an unknown field. */
    public long distinct(String field) {
        Categorical c = categorical.get(field);
        return c == null ? -1 : c.capped ? c.hll.estimate() : c.counts.size();
    }

    /** True when {@link #distinct} of this field is an estimate. */
    public boolean estimated(String field) {
        Categorical c = categorical.get(field);
        return c != null && c.capped;
    }

    /** Fraction of events without this field (categorical or numeric). */
    public double missingRate(String field) {
        Categorical c = categorical.get(field);
        Numeric n = numeric.get(field);
        long present = c != null ? c.present : n != null ? n.present : 0;
        return events == 0 ? 0 : 1.0 - (double) present / events;
    }

    /** Up to five most frequent values with their counts, most frequent first (ties by value). */
    public List<Map.Entry<String, Long>> top5(String field) {
        Categorical c = categorical.get(field);
        if (c == null) {
            return List.of();
        }
        List<Map.Entry<String, Long>> all = new ArrayList<>(c.counts.size());
        c.counts.forEach((k, v) -> all.add(Map.entry(k, v[0])));
        all.sort(Comparator.<Map.Entry<String, Long>>comparingLong(Map.Entry::getValue).reversed().thenComparing(Map.Entry::getKey));
        return all.subList(0, Math.min(5, all.size()));
    }

    /** Prints the report. */
    public void print(PrintStream out) {
        out.printf(Locale.ROOT, "events %,d, clicks %,d (rate %.4f), event time %s .. %s%n", events, clicks,
                events == 0 ? 0.0 : (double) clicks / events,
                events == 0 ? "-" : Instant.ofEpochMilli(minTime), events == 0 ? "-" : Instant.ofEpochMilli(maxTime));
        out.printf(Locale.ROOT, "distinct: exact up to %,d values per field, else a HyperLogLog estimate (~, about 0.8%% error);"
                + " * = top values counted among the first %,d distinct only%n", distinctCap, distinctCap);
        int width = 8;
        for (String f : categorical.keySet()) {
            width = Math.max(width, f.length());
        }
        for (String f : numeric.keySet()) {
            width = Math.max(width, f.length());
        }
        String fmt = "%-" + width + "s  %8s  %12s  %s%n";
        out.printf(Locale.ROOT, fmt, "field", "missing", "distinct", "top 5 values (count)");
        for (Map.Entry<String, Categorical> e : categorical.entrySet()) {
            Categorical c = e.getValue();
            StringBuilder top = new StringBuilder();
            for (Map.Entry<String, Long> t : top5(e.getKey())) {
                top.append(top.length() == 0 ? "" : ", ").append(t.getKey()).append(" (").append(String.format(Locale.ROOT, "%,d", t.getValue())).append(')');
            }
            if (c.values > c.present) {
                top.append(String.format(Locale.ROOT, "  [multi-valued: %.2f values/event]", (double) c.values / c.present));
            }
            String distinct = (c.capped ? "~" : "") + String.format(Locale.ROOT, "%,d", distinct(e.getKey()));
            out.printf(Locale.ROOT, fmt, e.getKey(), String.format(Locale.ROOT, "%.2f%%", 100 * missingRate(e.getKey())), distinct,
                    (c.capped ? "* " : "") + top);
        }
        for (Map.Entry<String, Numeric> e : numeric.entrySet()) {
            Numeric n = e.getValue();
            out.printf(Locale.ROOT, fmt, e.getKey(), String.format(Locale.ROOT, "%.2f%%", 100 * missingRate(e.getKey())), "numeric",
                    String.format(Locale.ROOT, "min %.4g, mean %.4g, max %.4g", n.min, n.sum / n.present, n.max));
        }
    }
}
