package io.inflight.topics.logs;

import io.inflight.topics.EventLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The log formats Inflight reads, and how to open each. */
public enum LogFormat {
    /** Criteo display-ad TSV: label, I1..I13, C1..C26; no time (synthetic). */
    CRITEO,
    /** Avazu CSV: id, click, hour (yyMMddHH), categorical columns; header optional. */
    AVAZU,
    /** A MovieLens directory of any {@link MovieLensLayout}, detected by its files; sorted by time. */
    MOVIELENS,
    /** MovieLens 100k directory (u.data + u.user + u.item), sorted by time. */
    ML_100K,
    /** MovieLens 1M directory (ratings.dat + movies.dat + users.dat, {@code ::}-separated), sorted by time. */
    ML_1M,
    /** MovieLens 10M directory (ratings.dat + movies.dat, {@code ::}-separated), sorted by time. */
    ML_10M,
    /** MovieLens 20M (also 25M, latest) directory (ratings.csv + movies.csv), sorted by time. */
    ML_20M,
    /** libFM / libSVM / libFFM text. */
    LIBFM,
    /** Any CSV, with a {@link LogMapping}. */
    CSV,
    /** Any TSV, with a {@link LogMapping}. */
    TSV,
    /** JSON lines: with a {@link LogMapping}, or events in the {@link io.inflight.topics.json.JsonEventCodec} format. */
    JSONL;

    /**
     * Options of the readers; unused ones are ignored by a format.
     *
     * @param mapping         the generic mapping (required for CSV and TSV, optional for JSONL)
     * @param criteoIntegers  bucketing of Criteo's I1..I13 ({@link Bucketing.Criteo} by default)
     * @param libFmFields     names of libFM fields by position (may be empty)
     * @param startMs         synthetic event time of line 1 for logs without time (Criteo, libFM)
     * @param stepMs          synthetic time step per line
     * @param limits          limits for JSONL events in the codec format
     */
    public record Options(LogMapping mapping, Bucketing criteoIntegers, List<String> libFmFields, long startMs, long stepMs,
            EventLimits limits) {

        public Options {
            libFmFields = List.copyOf(libFmFields);
        }

        /** No mapping, Criteo bucketing, unnamed libFM fields, synthetic times from 2020-01-01 one second apart. */
        public static Options defaults() {
            return new Options(null, new Bucketing.Criteo(), List.of(), LogMapping.DEFAULT_SYNTHETIC_START_MS, 1000,
                    EventLimits.DEFAULTS);
        }

        public Options withMapping(LogMapping m) {
            return new Options(m, criteoIntegers, libFmFields, startMs, stepMs, limits);
        }
    }

    /** Parses a format name, case-insensitively. */
    public static LogFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("log format must be one of " + names() + "; got '" + name + "'");
        }
    }

    /** The format names, e.g. {@code criteo, avazu, movielens, ml-100k, ...}. */
    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (LogFormat f : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(f);
        }
        return sb.toString();
    }

    /** True when this format needs a {@link LogMapping}. */
    public boolean needsMapping() {
        return this == CSV || this == TSV;
    }

    /** Opens one input of this format. */
    public LogReader open(Path path, Options o) {
        return switch (this) {
            case CRITEO -> CsvLogReader.open(path, CsvLogReader.Dialect.TSV, withClock(LogMapping.criteo(o.criteoIntegers()), o));
            case AVAZU -> CsvLogReader.open(path, CsvLogReader.Dialect.CSV, LogMapping.avazu());
            case MOVIELENS -> MovieLensLayout.openDetected(path);
            case ML_100K -> MovieLensLogReader.open(path);
            case ML_1M -> MovieLensRatingsReader.open(path, MovieLensLayout.ML_1M);
            case ML_10M -> MovieLensRatingsReader.open(path, MovieLensLayout.ML_10M);
            case ML_20M -> MovieLensRatingsReader.open(path, MovieLensLayout.ML_20M);
            case LIBFM -> LibFmLogReader.open(path, o.libFmFields(), o.startMs(), o.stepMs());
            case CSV, TSV -> {
                if (o.mapping() == null) {
                    throw new IllegalArgumentException("format " + name().toLowerCase(Locale.ROOT)
                            + " needs a mapping (label=..., categorical=..., ...)");
                }
                yield CsvLogReader.open(path, this == CSV ? CsvLogReader.Dialect.CSV : CsvLogReader.Dialect.TSV, o.mapping());
            }
            case JSONL -> JsonLinesLogReader.open(path, o.mapping(), o.limits());
        };
    }

    private static LogMapping withClock(LogMapping m, Options o) {
        return new LogMapping(m.columns(), m.header(), m.label(), m.labelRule(), m.time(), m.timeFormat(), m.zone(), o.startMs(),
                o.stepMs(), m.id(), m.categorical(), m.numeric(), m.multi(), m.multiSeparator(), m.drop(), m.separator(),
                m.quote());
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
