package io.inflight.topics.logs;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the columns of a generic CSV, TSV or JSON-lines log become {@link io.inflight.topics.ClickEvent}s.
 * Usually read from a small {@code .properties} file ({@link #load(Path)}) or from {@code key=value}
 * options ({@link #parse(Map)}); the keys:
 *
 * <pre>
 * label=COLUMN            required: the label column
 * label.rule=binary       binary (1/0/-1/true/false) | &gt;=X | &gt;X | ==V   e.g. label.rule=&gt;=4
 * time=COLUMN             optional time column; without it event times are synthetic:
 *                         time.start + (line - 1) * time.step.ms
 * time.format=epoch-ms    epoch-s | epoch-ms | a java.time pattern, e.g. yyyy-MM-dd HH:mm:ss
 * time.zone=UTC           zone of patterns without an offset
 * time.start=2020-01-01T00:00:00Z   time.step.ms=1000   (synthetic times only)
 * id=COLUMN               optional event id
 * categorical=a,b,c       categorical columns, or * for every column not used otherwise (needs a header)
 * numeric=price:log2,age:bounds:18|25|35,n   numeric columns, each with an optional bucketing
 *                         (none = numeric field, log2, criteo, bounds:b1|b2|...; default none)
 * multi=tags              categorical columns holding several values: in CSV/TSV split on multi.separator
 *                         (default |), in JSON lines an array (or a string split on the separator)
 * drop=a,b                columns ignored by categorical=*
 * separator=,             CSV/TSV field separator, any string: , | ; :: (\t or tab, space); default , for csv, tab for tsv
 * quote=true              CSV/TSV double-quoting on (default for csv) or off (default for tsv): quotes are then plain text
 * columns=a,b,c           column names of a CSV/TSV without a header line
 * header=auto             true | false | auto (skip the first line if it repeats the column names);
 *                         default: false when columns is given, else true
 * </pre>
 *
 * <p>An empty cell (or a JSON null / absent key) is a missing feature. Immutable.
 */
public record LogMapping(
        List<String> columns,
        Header header,
        String label,
        LabelRule labelRule,
        String time,
        String timeFormat,
        ZoneId zone,
        long syntheticStartMs,
        long syntheticStepMs,
        String id,
        List<String> categorical,
        Map<String, Bucketing> numeric,
        Set<String> multi,
        String multiSeparator,
        Set<String> drop,
        String separator,
        Boolean quote) {

    /** Whether a CSV/TSV file starts with a header line. */
    public enum Header { TRUE, FALSE, AUTO }

    /** Default start of synthetic event times: 2020-01-01T00:00:00Z. */
    public static final long DEFAULT_SYNTHETIC_START_MS = 1_577_836_800_000L;

    private static final Set<String> KEYS = Set.of("format", "columns", "header", "label", "label.rule", "time", "time.format",
            "time.zone", "time.start", "time.step.ms", "id", "categorical", "numeric", "multi", "multi.separator", "drop",
            "separator", "quote");

    public LogMapping {
        columns = List.copyOf(columns);
        Objects.requireNonNull(header, "header");
        if (label == null || label.isEmpty()) {
            throw new IllegalArgumentException("the mapping needs label=COLUMN");
        }
        Objects.requireNonNull(labelRule, "labelRule");
        Objects.requireNonNull(zone, "zone");
        if (syntheticStepMs < 0) {
            throw new IllegalArgumentException("time.step.ms must be >= 0, got " + syntheticStepMs);
        }
        categorical = List.copyOf(categorical);
        numeric = Collections.unmodifiableMap(new LinkedHashMap<>(numeric));
        multi = Set.copyOf(multi);
        drop = Set.copyOf(drop);
        if (categorical.isEmpty() && numeric.isEmpty()) {
            throw new IllegalArgumentException("the mapping names no feature columns: set categorical=... and/or numeric=...");
        }
        if (time != null) {
            TimeFormat.parse(timeFormat, zone); // validates the pattern now
        }
        if (multiSeparator == null || multiSeparator.isEmpty()) {
            throw new IllegalArgumentException("multi.separator must not be empty");
        }
        if (separator != null && (separator.isEmpty() || separator.indexOf('\n') >= 0 || separator.indexOf('\r') >= 0)) {
            throw new IllegalArgumentException("separator must be a non-empty string without line breaks, got '" + separator + "'");
        }
    }

    /** The same mapping without a CSV/TSV separator or quoting of its own (for the preset formats). */
    public LogMapping(List<String> columns, Header header, String label, LabelRule labelRule, String time, String timeFormat,
            ZoneId zone, long syntheticStartMs, long syntheticStepMs, String id, List<String> categorical,
            Map<String, Bucketing> numeric, Set<String> multi, String multiSeparator, Set<String> drop) {
        this(columns, header, label, labelRule, time, timeFormat, zone, syntheticStartMs, syntheticStepMs, id, categorical, numeric,
                multi, multiSeparator, drop, null, null);
    }

    /** True when {@code categorical=*}: every column not used otherwise. */
    public boolean allCategorical() {
        return categorical.equals(List.of("*"));
    }

    /** Reads a mapping from a {@code .properties} file. */
    public static LogMapping load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("mapping file not found: " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read mapping file " + file, e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        try {
            return parse(m);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("mapping file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Builds a mapping from the keys in the class comment; unknown keys are rejected by name. */
    public static LogMapping parse(Map<String, String> m) {
        for (String k : m.keySet()) {
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown mapping key '" + k + "' (known: " + new TreeSet<>(KEYS) + ")");
            }
        }
        List<String> columns = list(m.get("columns"));
        Header header = switch (m.getOrDefault("header", columns.isEmpty() ? "true" : "false").trim().toLowerCase(Locale.ROOT)) {
            case "true" -> Header.TRUE;
            case "false" -> Header.FALSE;
            case "auto" -> Header.AUTO;
            default -> throw new IllegalArgumentException("header must be true, false or auto, got '" + m.get("header") + "'");
        };
        if (header != Header.TRUE && columns.isEmpty()) {
            throw new IllegalArgumentException("header=" + m.get("header") + " needs columns=a,b,c to name the columns");
        }
        Map<String, Bucketing> numeric = new LinkedHashMap<>();
        for (String spec : list(m.get("numeric"))) {
            int colon = spec.indexOf(':');
            String name = colon < 0 ? spec : spec.substring(0, colon).trim();
            numeric.put(name, colon < 0 ? new Bucketing.None() : Bucketing.parse(spec.substring(colon + 1)));
        }
        ZoneId zone;
        try {
            zone = ZoneId.of(m.getOrDefault("time.zone", "UTC").trim());
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("time.zone '" + m.get("time.zone") + "' is not a zone id (e.g. UTC, Europe/Paris)");
        }
        long start = DEFAULT_SYNTHETIC_START_MS;
        if (m.containsKey("time.start")) {
            try {
                start = Instant.parse(m.get("time.start").trim()).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("time.start '" + m.get("time.start") + "' is not an ISO-8601 instant");
            }
        }
        long step;
        try {
            step = Long.parseLong(m.getOrDefault("time.step.ms", "1000").trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("time.step.ms must be an integer, got '" + m.get("time.step.ms") + "'");
        }
        return new LogMapping(columns, header, blankToNull(m.get("label")), LabelRule.parse(m.getOrDefault("label.rule", "binary")),
                blankToNull(m.get("time")), m.getOrDefault("time.format", "epoch-ms"), zone, start, step,
                blankToNull(m.get("id")), list(m.get("categorical")), numeric, Set.copyOf(list(m.get("multi"))),
                m.getOrDefault("multi.separator", "|"), Set.copyOf(list(m.get("drop"))), separator(m.get("separator")),
                quote(m.get("quote")));
    }

    /**
     * The {@code separator} key: any string ({@code ,} {@code |} {@code ::} ...); {@code \t} or {@code tab} is a tab,
     * {@code space} a space; null when absent (the format's own: comma for csv, tab for tsv).
     */
    static String separator(String s) {
        if (s == null) {
            return null;
        }
        String t = s.isBlank() ? s : s.strip(); // a tab or space stays itself
        switch (t.toLowerCase(Locale.ROOT)) {
            case "\\t", "tab" -> {
                return "\t";
            }
            case "space" -> {
                return " ";
            }
            case "" -> throw new IllegalArgumentException("separator must not be empty (use tab or space for whitespace)");
            default -> {
                return t.replace("\\t", "\t");
            }
        }
    }

    /** The {@code quote} key: true/on (double quotes, RFC 4180) or false/off (quotes are text); null when absent. */
    static Boolean quote(String s) {
        if (s == null) {
            return null;
        }
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> Boolean.TRUE;
            case "false", "off", "no", "none" -> Boolean.FALSE;
            default -> throw new IllegalArgumentException("quote must be true (double quotes) or false (none), got '" + s + "'");
        };
    }

    /** The Criteo display-ad log: label, I1..I13 (bucketised with {@code integers}), C1..C26; no header, no time. */
    public static LogMapping criteo(Bucketing integers) {
        List<String> cols = new ArrayList<>();
        cols.add("label");
        Map<String, Bucketing> numeric = new LinkedHashMap<>();
        for (int i = 1; i <= 13; i++) {
            cols.add("I" + i);
            numeric.put("I" + i, integers);
        }
        List<String> cats = new ArrayList<>();
        for (int i = 1; i <= 26; i++) {
            cols.add("C" + i);
            cats.add("C" + i);
        }
        return new LogMapping(cols, Header.FALSE, "label", new LabelRule.Binary(), null, "epoch-ms", ZoneId.of("UTC"),
                DEFAULT_SYNTHETIC_START_MS, 1000, null, cats, numeric, Set.of(), "|", Set.of());
    }

    /** Column names of the Avazu log (train.csv has them as a header, the dev/test samples do not). */
    public static final List<String> AVAZU_COLUMNS = List.of("id", "click", "hour", "C1", "banner_pos", "site_id", "site_domain",
            "site_category", "app_id", "app_domain", "app_category", "device_id", "device_ip", "device_model", "device_type",
            "device_conn_type", "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21");

    /** The Avazu log: id, click label, hour {@code yyMMddHH} (UTC) as event time, every other column categorical. */
    public static LogMapping avazu() {
        return new LogMapping(AVAZU_COLUMNS, Header.AUTO, "click", new LabelRule.Binary(), "hour", "yyMMddHH", ZoneId.of("UTC"),
                DEFAULT_SYNTHETIC_START_MS, 1000, "id", List.of("*"), Map.of(), Set.of(), "|", Set.of());
    }

    private static List<String> list(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
