package io.inflight.topics.logs;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A {@link LogMapping} bound to the columns of one input: every column name resolved to an index once,
 * so that mapping a row does no name lookups. Not thread-safe (the time format caches).
 */
public final class RowMapper {

    /** One row of a log, by column index (the order given to {@link #bind}). */
    public interface Row {
        /** The text of {@code column}, or null when the row has no such value. */
        String text(int column);

        /** The values of a multi-valued column; the default splits {@link #text} on {@code separator}. */
        default List<String> values(int column, String separator) {
            String t = text(column);
            if (t == null || t.isEmpty()) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            int from = 0;
            while (true) {
                int at = t.indexOf(separator, from);
                String v = at < 0 ? t.substring(from) : t.substring(from, at);
                if (!v.isEmpty()) {
                    out.add(v);
                }
                if (at < 0) {
                    return out;
                }
                from = at + separator.length();
            }
        }
    }

    private final LogMapping mapping;
    private final List<String> columns;
    private final int labelCol;
    private final int timeCol;
    private final int idCol;
    private final TimeFormat timeFormat;
    /** Output features in column order: name, index, bucketing (null = categorical), multi-valued. */
    private final String[] names;
    private final int[] cols;
    private final Bucketing[] buckets;
    private final boolean[] multi;
    private String source = "log";
    private Consumer<String> warnings = System.err::println;
    private boolean warned;

    private RowMapper(LogMapping mapping, List<String> columns) {
        this.mapping = mapping;
        this.columns = List.copyOf(columns);
        this.labelCol = require(mapping.label(), "label");
        this.timeCol = mapping.time() == null ? -1 : require(mapping.time(), "time");
        this.idCol = mapping.id() == null ? -1 : require(mapping.id(), "id");
        this.timeFormat = mapping.time() == null ? null : TimeFormat.parse(mapping.timeFormat(), mapping.zone());
        Set<String> used = new HashSet<>();
        used.add(mapping.label());
        if (mapping.time() != null) {
            used.add(mapping.time());
        }
        if (mapping.id() != null) {
            used.add(mapping.id());
        }
        Set<String> features = new HashSet<>();
        for (String n : mapping.numeric().keySet()) {
            require(n, "numeric");
            features.add(n);
        }
        if (mapping.allCategorical()) {
            for (String c : columns) {
                if (!used.contains(c) && !mapping.numeric().containsKey(c) && !mapping.drop().contains(c)) {
                    features.add(c);
                }
            }
        } else {
            for (String c : mapping.categorical()) {
                require(c, "categorical");
                if (!features.add(c)) {
                    throw new IllegalArgumentException("column '" + c + "' is both categorical and numeric in the mapping");
                }
            }
        }
        for (String m : mapping.multi()) {
            if (!features.contains(m) || mapping.numeric().containsKey(m)) {
                throw new IllegalArgumentException("multi names column '" + m + "', which is not a categorical column of the mapping");
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (features.contains(columns.get(i))) {
                order.add(i);
                features.remove(columns.get(i)); // first occurrence wins when a header repeats a name
            }
        }
        int n = order.size();
        names = new String[n];
        cols = new int[n];
        buckets = new Bucketing[n];
        multi = new boolean[n];
        for (int k = 0; k < n; k++) {
            int c = order.get(k);
            names[k] = columns.get(c);
            cols[k] = c;
            buckets[k] = mapping.numeric().get(names[k]);
            multi[k] = mapping.multi().contains(names[k]);
        }
    }

    /**
     * Binds {@code mapping} to an input's columns (its header, the mapping's {@code columns}, or for
     * JSON the keys the mapping names). Throws {@link IllegalArgumentException} naming a column the
     * input does not have.
     */
    public static RowMapper bind(LogMapping mapping, List<String> columns) {
        return new RowMapper(mapping, columns);
    }

    private int require(String name, String role) {
        int i = columns.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("the mapping's " + role + " column '" + name + "' is not among the input's columns "
                    + columns);
        }
        return i;
    }

    /** Names the input in the time warning (see {@link #map}); {@code "log"} by default. */
    public RowMapper warnAs(String source) {
        this.source = source;
        return this;
    }

    /** Where the time warning goes (standard error by default). */
    public RowMapper warnings(Consumer<String> sink) {
        this.warnings = sink;
        return this;
    }

    public LogMapping mapping() {
        return mapping;
    }

    /** The input's columns, in order. */
    public List<String> columns() {
        return columns;
    }

    /** Names of the features this mapper emits (categorical and numeric), in column order. */
    public List<String> featureNames() {
        return List.of(names);
    }

    /**
     * Maps one row; {@code line} numbers synthetic event times when the mapping has no time column. The
     * first time before 1971 or after 2100 (e.g. seconds read as milliseconds) is warned about, once.
     * Throws {@link MalformedEventException} for a missing or bad label, a bad time or a bad number.
     */
    public ClickEvent map(Row row, long line) {
        String labelText = row.text(labelCol);
        if (labelText == null || labelText.isEmpty()) {
            throw new MalformedEventException(RejectReason.MISSING_LABEL, "label column '" + mapping.label() + "' is empty");
        }
        int label = mapping.labelRule().label(labelText.trim());
        long time;
        if (timeCol >= 0) {
            String t = row.text(timeCol);
            if (t == null || t.isEmpty()) {
                throw new MalformedEventException(RejectReason.BAD_TIME, "time column '" + mapping.time() + "' is empty");
            }
            time = timeFormat.toEpochMs(t);
            if (!warned && TimeFormat.implausible(time)) {
                warned = true;
                warnings.accept("warning: " + source + ":" + line + ": " + timeFormat.implausibleMessage(mapping.time(), t, time)
                        + " (warned once per file)");
            }
        } else {
            time = mapping.syntheticStartMs() + (line - 1) * mapping.syntheticStepMs();
        }
        String id = idCol >= 0 ? row.text(idCol) : null;
        if (id != null && id.isEmpty()) {
            id = null;
        }
        List<ClickEvent.Field> fields = new ArrayList<>(names.length);
        List<ClickEvent.Numeric> numerics = List.of();
        for (int k = 0; k < names.length; k++) {
            if (multi[k]) {
                List<String> vs = row.values(cols[k], mapping.multiSeparator());
                if (!vs.isEmpty()) {
                    fields.add(new ClickEvent.Field(names[k], vs));
                }
                continue;
            }
            String v = row.text(cols[k]);
            if (v == null || v.isEmpty()) {
                continue;
            }
            if (buckets[k] == null) {
                fields.add(ClickEvent.Field.of(names[k], v));
                continue;
            }
            double x = number(names[k], v);
            String b = buckets[k].bucket(x);
            if (b != null) {
                fields.add(ClickEvent.Field.of(names[k], b));
            } else {
                if (numerics.isEmpty()) {
                    numerics = new ArrayList<>(4);
                }
                numerics.add(new ClickEvent.Numeric(names[k], x));
            }
        }
        return new ClickEvent(id, time, label, fields, numerics);
    }

    private static double number(String column, String v) {
        double x;
        try {
            x = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new MalformedEventException(RejectReason.BAD_SYNTAX, "numeric column '" + column + "' is '" + v + "', not a number");
        }
        if (!Double.isFinite(x)) {
            throw new MalformedEventException(RejectReason.NON_FINITE, "numeric column '" + column + "' is " + v);
        }
        return x;
    }
}
