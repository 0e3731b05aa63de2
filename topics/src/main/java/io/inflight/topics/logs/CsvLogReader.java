package io.inflight.topics.logs;

import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads a CSV or TSV log (plain or gzip) through commons-csv and maps each record with a
 * {@link LogMapping}: the Criteo and Avazu readers are this class with their preset mappings.
 *
 * <p>CSV is RFC 4180 (comma, double quotes); TSV is tab-separated without quoting; the mapping's
 * {@code separator} (any string, e.g. {@code ::}) and {@code quote} (on/off) override either. Blank lines are
 * skipped. A record with a different number of columns than the header is malformed. A broken quote
 * ends the file (the parser cannot resynchronise): it is reported once as malformed, then
 * {@link #hasNext()} is false.
 */
public final class CsvLogReader implements LogReader {

    /** Field separator and quoting. */
    public enum Dialect {
        CSV(CSVFormat.DEFAULT.builder().setIgnoreEmptyLines(true).get()),
        TSV(CSVFormat.DEFAULT.builder().setDelimiter('\t').setQuote(null).setIgnoreEmptyLines(true).get());

        private final CSVFormat format;

        Dialect(CSVFormat format) {
            this.format = format;
        }
    }

    private final String source;
    private final LogInput input;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private final RowMapper mapper;
    private final int width;
    private final CsvRow row = new CsvRow();
    private CSVRecord pending;
    private long pendingLine;
    private long lineBefore;
    private boolean broken;
    private MalformedLineException pendingError;

    private CsvLogReader(String source, LogInput input, CSVParser parser, Iterator<CSVRecord> records, RowMapper mapper,
            CSVRecord pending, long pendingLine) {
        this.source = source;
        this.input = input;
        this.parser = parser;
        this.records = records;
        this.mapper = mapper;
        this.width = mapper.columns().size();
        this.pending = pending;
        this.pendingLine = pendingLine;
        this.lineBefore = parser.getCurrentLineNumber();
    }

    /** Opens {@code path} (gzip or plain) and binds {@code mapping} to its header or to the mapping's columns. */
    public static CsvLogReader open(Path path, Dialect dialect, LogMapping mapping) {
        LogInput input = LogInput.open(path, StandardCharsets.UTF_8);
        try {
            CSVParser parser = CSVParser.parse(input.reader(), format(dialect, mapping));
            Iterator<CSVRecord> it = parser.iterator();
            CSVRecord first = it.hasNext() ? it.next() : null;
            long firstLine = parser.getCurrentLineNumber();
            List<String> columns;
            CSVRecord pending = null;
            switch (mapping.header()) {
                case TRUE -> {
                    if (first == null) {
                        throw new IllegalArgumentException(path + " is empty: expected a header line");
                    }
                    columns = first.toList().stream().map(String::trim).toList();
                }
                case FALSE -> {
                    columns = mapping.columns();
                    pending = first;
                }
                default -> {
                    columns = mapping.columns();
                    boolean isHeader = first != null && first.size() > 0 && first.get(0).trim().equals(columns.get(0));
                    pending = isHeader ? null : first;
                }
            }
            RowMapper mapper;
            try {
                mapper = RowMapper.bind(mapping, columns);
            } catch (IllegalArgumentException e) {
                String hint = columns.size() == 1 && first != null
                        ? " (each line is one column: is the separator right? it is '"
                                + (mapping.separator() == null ? (dialect == Dialect.CSV ? "," : "\\t") : mapping.separator())
                                + "'; set separator=..., e.g. separator=::)"
                        : "";
                throw new IllegalArgumentException(path + ": " + e.getMessage() + hint, e);
            }
            mapper.warnAs(path.toString());
            return new CsvLogReader(path.toString(), input, parser, it, mapper, pending, firstLine);
        } catch (IOException e) {
            input.close();
            throw new UncheckedIOException("cannot read " + path, e);
        } catch (RuntimeException e) {
            input.close();
            throw e;
        }
    }

    /** The dialect's format with the mapping's {@code separator} and {@code quote}, when it sets them. */
    static CSVFormat format(Dialect dialect, LogMapping mapping) {
        if (mapping.separator() == null && mapping.quote() == null) {
            return dialect.format;
        }
        CSVFormat.Builder b = dialect.format.builder();
        if (mapping.separator() != null) {
            b.setDelimiter(mapping.separator());
        }
        if (mapping.quote() != null) {
            b.setQuote(mapping.quote() ? Character.valueOf('"') : null);
        }
        try {
            return b.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("separator '" + mapping.separator() + "' with quote=" + mapping.quote() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The mapping bound to this file's columns. */
    public RowMapper mapper() {
        return mapper;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public boolean hasNext() {
        if (pending != null || pendingError != null) {
            return true;
        }
        if (broken) {
            return false;
        }
        try {
            if (!records.hasNext()) {
                return false;
            }
            pending = records.next();
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof CSVException) {
                broken = true;
                pendingError = new MalformedLineException(source, lineBefore + 1, RejectReason.BAD_SYNTAX,
                        e.getCause().getMessage() + " (the rest of the file is not read)");
                return true;
            }
            throw new UncheckedIOException("cannot read " + source + " after line " + lineBefore, e.getCause());
        }
        long after = parser.getCurrentLineNumber();
        pendingLine = after - (after - lineBefore > 1 ? embeddedNewlines(pending) : 0);
        lineBefore = after;
        return true;
    }

    private static int embeddedNewlines(CSVRecord r) {
        int n = 0;
        for (String v : r) {
            for (int i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) {
                n++;
            }
        }
        return n;
    }

    @Override
    public LogRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more records in " + source);
        }
        if (pendingError != null) {
            MalformedLineException e = pendingError;
            pendingError = null;
            throw e;
        }
        CSVRecord r = pending;
        pending = null;
        long line = pendingLine;
        if (r.size() != width) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX,
                    "expected " + width + " columns, got " + r.size());
        }
        row.record = r;
        try {
            return new LogRecord(source, line, mapper.map(row, line));
        } catch (MalformedEventException e) {
            throw new MalformedLineException(source, line, e.reason(), detail(e));
        }
    }

    static String detail(MalformedEventException e) {
        String m = e.getMessage();
        String prefix = e.reason().code() + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    @Override
    public double progress() {
        return input.progress();
    }

    @Override
    public void close() {
        try {
            LogInput.close(parser, source);
        } finally {
            input.close();
        }
    }

    private static final class CsvRow implements RowMapper.Row {
        CSVRecord record;

        @Override
        public String text(int column) {
            return column < record.size() ? record.get(column) : null;
        }
    }
}
