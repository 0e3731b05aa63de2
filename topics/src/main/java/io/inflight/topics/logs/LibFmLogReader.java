package io.inflight.topics.logs;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a libFM / libSVM log ({@code label idx:val idx:val ...}) or a libFFM one
 * ({@code label field:idx:val ...}), plain or gzip; blank lines and {@code #} comments are skipped.
 *
 * <ul>
 *   <li>label: a number, a click when {@code > 0} (so 1/0 and 1/-1 both work);</li>
 *   <li>each token with value 1 is a categorical feature: field = the libFFM field, or (libFM) the
 *       token's position in the line, named by {@code fieldNames} when given (frappe: user, item, ...)
 *       else {@code f0, f1, ...}; value = the index;</li>
 *   <li>a token with another non-zero value becomes a numeric field {@code x<idx>}; value 0 is skipped;</li>
 *   <li>event time is synthetic: {@code startMs + (line - 1) * stepMs} (libFM logs carry no time).</li>
 * </ul>
 */
public final class LibFmLogReader extends LineLogReader {

    private final List<String> fieldNames;
    private final long startMs;
    private final long stepMs;

    private LibFmLogReader(Path path, List<String> fieldNames, long startMs, long stepMs) {
        super(path, l -> !l.isBlank() && l.charAt(0) != '#');
        this.fieldNames = List.copyOf(fieldNames);
        this.startMs = startMs;
        this.stepMs = stepMs;
    }

    /** Opens {@code path}; {@code fieldNames} may be empty (fields are then {@code f0, f1, ...}). */
    public static LibFmLogReader open(Path path, List<String> fieldNames, long startMs, long stepMs) {
        return new LibFmLogReader(path, fieldNames, startMs, stepMs);
    }

    @Override
    LogRecord parse(String l) {
        String source = source();
        long line = line();
        String[] tokens = l.trim().split("[ \t]+");
        int label;
        try {
            label = Double.parseDouble(tokens[0]) > 0 ? 1 : 0;
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_LABEL, "label '" + tokens[0] + "' is not a number");
        }
        List<ClickEvent.Field> fields = new ArrayList<>(tokens.length - 1);
        List<ClickEvent.Numeric> numerics = List.of();
        for (int t = 1; t < tokens.length; t++) {
            String tok = tokens[t];
            int c1 = tok.indexOf(':');
            int c2 = c1 < 0 ? -1 : tok.indexOf(':', c1 + 1);
            if (c1 <= 0 || tok.indexOf(':', Math.max(c2, c1) + 1) >= 0) {
                throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX,
                        "token " + t + " '" + tok + "' is not idx:value or field:idx:value");
            }
            String field;
            String idx;
            String val;
            if (c2 < 0) {
                int pos = t - 1;
                field = pos < fieldNames.size() ? fieldNames.get(pos) : "f" + pos;
                idx = tok.substring(0, c1);
                val = tok.substring(c1 + 1);
            } else {
                String f = tok.substring(0, c1);
                field = fieldNames.isEmpty() ? "f" + f : fieldName(f, tok);
                idx = tok.substring(c1 + 1, c2);
                val = tok.substring(c2 + 1);
            }
            if (idx.isEmpty()) {
                throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "token " + t + " '" + tok + "' has no index");
            }
            if (val.equals("1")) {
                fields.add(ClickEvent.Field.of(field, idx));
                continue;
            }
            double x;
            try {
                x = Double.parseDouble(val);
            } catch (NumberFormatException e) {
                throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "token " + t + " '" + tok + "' has no numeric value");
            }
            if (!Double.isFinite(x)) {
                throw new MalformedLineException(source, line, RejectReason.NON_FINITE, "token " + t + " '" + tok + "'");
            }
            if (x == 1.0) {
                fields.add(ClickEvent.Field.of(field, idx));
            } else if (x != 0.0) {
                if (numerics.isEmpty()) {
                    numerics = new ArrayList<>();
                }
                numerics.add(new ClickEvent.Numeric("x" + idx, x));
            }
        }
        return new LogRecord(source, line, new ClickEvent(null, startMs + (line - 1) * stepMs, label, fields, numerics));
    }

    private String fieldName(String f, String tok) {
        long line = line();
        try {
            int i = Integer.parseInt(f);
            return i >= 0 && i < fieldNames.size() ? fieldNames.get(i) : "f" + f;
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source(), line, RejectReason.BAD_SYNTAX, "field of '" + tok + "' is not an integer");
        }
    }
}
