package io.inflight.topics.logs;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Reads MovieLens 100k: the ratings in {@code u.data} ({@code user \t item \t rating \t unix_ts})
 * joined with {@code u.user} ({@code user|age|gender|occupation|zip}) and {@code u.item}
 * ({@code item|title|release|video|url|19 genre flags}, ISO-8859-1), from the same directory.
 *
 * <p>Each rating becomes an event with id {@code <user>:<item>}, label {@code rating >= 4}, time
 * {@code unix_ts * 1000} and the fields {@code user, item, age} (bucket: 1, 18, 25, 35, 45, 50, 56
 * as in MovieLens 1M), {@code gender, occupation, zip} (first 3 characters) and the multi-valued
 * {@code genres} (names from {@code u.genre}, else the flag positions).
 *
 * <p>The whole file is read and sorted by time at open (stable: ties keep file order), because
 * {@code u.data} is not in time order. Malformed rating lines are reported first, in line order,
 * before any event; broken side files fail {@link #open} with the file and line, and so does a folder of
 * another {@link MovieLensLayout} or a {@code u.data} whose first line is not tab-separated.
 */
public final class MovieLensLogReader implements LogReader {

    private static final int[] AGE_BUCKETS = {18, 25, 35, 45, 50, 56};

    private final String source;
    private final List<LogRecord> records;
    private final List<MalformedLineException> malformed;
    private int nextMalformed;
    private int next;

    private MovieLensLogReader(String source, List<LogRecord> records, List<MalformedLineException> malformed) {
        this.source = source;
        this.records = records;
        this.malformed = malformed;
    }

    /** Opens the ml-100k directory, or its {@code u.data} (side files are looked up next to it). */
    public static MovieLensLogReader open(Path dirOrData) {
        Path data = MovieLensLayout.ML_100K.ratingsIn(dirOrData);
        Path dir = MovieLensLayout.directory(dirOrData);
        Map<String, List<ClickEvent.Field>> users = new HashMap<>();
        readSide(dir.resolve("u.user"), 5, cols -> users.put(cols[0], List.of(
                ClickEvent.Field.of("age", ageBucket(cols[1])),
                ClickEvent.Field.of("gender", cols[2]),
                ClickEvent.Field.of("occupation", cols[3]),
                ClickEvent.Field.of("zip", cols[4].length() > 3 ? cols[4].substring(0, 3) : cols[4]))));
        List<String> genreNames = genreNames(dir.resolve("u.genre"));
        Map<String, ClickEvent.Field> genres = new HashMap<>();
        readSide(dir.resolve("u.item"), 24, cols -> {
            List<String> g = new ArrayList<>(3);
            for (int i = 0; i < 19; i++) {
                if (cols[5 + i].equals("1")) {
                    g.add(i < genreNames.size() ? genreNames.get(i) : Integer.toString(i));
                }
            }
            genres.put(cols[0], new ClickEvent.Field("genres", g));
        });
        String source = data.toString();
        List<LogRecord> records = new ArrayList<>(100_000);
        List<MalformedLineException> malformed = new ArrayList<>();
        try (LogInput in = LogInput.open(data, StandardCharsets.ISO_8859_1)) {
            for (String l; (l = in.nextLine(x -> !x.isBlank())) != null; ) {
                long line = in.lineNumber();
                if (records.isEmpty() && malformed.isEmpty() && l.split("\t", -1).length != 4) {
                    throw new IllegalArgumentException("ml-100k expects " + data + " lines user<TAB>item<TAB>rating<TAB>timestamp; line "
                            + line + " is '" + (l.length() <= 80 ? l : l.substring(0, 80) + "...") + "'");
                }
                try {
                    records.add(new LogRecord(source, line, rating(l, source, line, users, genres)));
                } catch (MalformedLineException e) {
                    malformed.add(e);
                }
            }
        }
        records.sort(Comparator.comparingLong(rec -> rec.event().eventTimeMs()));
        return new MovieLensLogReader(source, records, malformed);
    }

    private static ClickEvent rating(String l, String source, long line, Map<String, List<ClickEvent.Field>> users,
            Map<String, ClickEvent.Field> genres) {
        String[] c = l.split("\t", -1);
        if (c.length != 4) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "expected 4 tab-separated columns, got " + c.length);
        }
        int rating;
        long ts;
        try {
            rating = Integer.parseInt(c[2].trim());
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_LABEL, "rating '" + c[2] + "' is not an integer");
        }
        try {
            ts = Long.parseLong(c[3].trim());
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_TIME, "timestamp '" + c[3] + "' is not an integer");
        }
        List<ClickEvent.Field> user = users.get(c[0]);
        ClickEvent.Field genre = genres.get(c[1]);
        if (user == null) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "user '" + c[0] + "' is not in u.user");
        }
        if (genre == null) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "item '" + c[1] + "' is not in u.item");
        }
        List<ClickEvent.Field> fields = new ArrayList<>(8);
        fields.add(ClickEvent.Field.of("user", c[0]));
        fields.add(ClickEvent.Field.of("item", c[1]));
        fields.addAll(user);
        if (!genre.values().isEmpty()) {
            fields.add(genre);
        }
        return new ClickEvent(c[0] + ":" + c[1], ts * 1000L, rating >= 4 ? 1 : 0, fields, List.of());
    }

    static String ageBucket(String age) {
        int a = Integer.parseInt(age.trim());
        int bucket = 1;
        for (int b : AGE_BUCKETS) {
            if (a >= b) {
                bucket = b;
            }
        }
        return Integer.toString(bucket);
    }

    private interface SideRow {
        void accept(String[] cols);
    }

    private static void readSide(Path file, int minCols, SideRow sink) {
        try (LogInput in = LogInput.open(file, StandardCharsets.ISO_8859_1)) {
            for (String l; (l = in.nextLine(x -> !x.isBlank())) != null; ) {
                long line = in.lineNumber();
                String[] cols = l.split("\\|", -1);
                if (cols.length < minCols) {
                    throw new IllegalArgumentException(file + ":" + line + ": expected " + minCols + " |-separated columns, got " + cols.length);
                }
                try {
                    sink.accept(cols);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + line + ": " + e.getMessage());
                }
            }
        }
    }

    private static List<String> genreNames(Path file) {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        readSide(file, 2, cols -> names.add(cols[0]));
        return names;
    }

    @Override
    public String source() {
        return source;
    }

    /** Number of events (known up front, as the file is read at open). */
    public int size() {
        return records.size();
    }

    @Override
    public boolean hasNext() {
        return nextMalformed < malformed.size() || next < records.size();
    }

    @Override
    public LogRecord next() {
        if (nextMalformed < malformed.size()) {
            throw malformed.get(nextMalformed++);
        }
        if (next >= records.size()) {
            throw new NoSuchElementException("no more records in " + source);
        }
        return records.get(next++);
    }

    @Override
    public double progress() {
        return records.isEmpty() ? 1.0 : (double) next / records.size();
    }

    @Override
    public void close() {
        // Everything was read at open.
    }
}
