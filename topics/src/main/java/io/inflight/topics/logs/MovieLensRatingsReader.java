package io.inflight.topics.logs;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads MovieLens 1M, 10M and 20M (see {@link MovieLensLayout}) as {@link MovieLensLogReader} reads
 * ml-100k: each rating is an event with id {@code <user>:<item>}, label {@code rating >= 4}, time
 * {@code timestamp * 1000} and the fields {@code user, item}, for ml-1m also {@code age, gender,
 * occupation} (the numeric code of the release) and {@code zip} (first 3 characters) from
 * {@code users.dat}, and the multi-valued {@code genres} from {@code movies.dat} / {@code movies.csv}
 * ({@code |}-separated; {@code (no genres listed)} is none).
 *
 * <ul>
 * <li>ml-1m, ml-10m: {@code ratings.dat} {@code UserID::MovieID::Rating::Timestamp}, {@code movies.dat}
 * {@code MovieID::Title::Genres}, ml-1m {@code users.dat} {@code UserID::Gender::Age::Occupation::Zip-code}
 * (ISO-8859-1);
 * <li>ml-20m: {@code ratings.csv} {@code userId,movieId,rating,timestamp} and {@code movies.csv}
 * {@code movieId,title,genres} (UTF-8, with headers; titles may be quoted).
 * </ul>
 *
 * <p>Ratings are sorted by time at open (stable), kept compactly (about 30 bytes a rating, so ml-20m
 * fits in 1 GB); malformed rating lines are reported first, in line order. A folder of another layout,
 * or a ratings file whose first line is not of this layout, fails {@link #open} in one line.
 */
public final class MovieLensRatingsReader implements LogReader {

    private static final String NO_GENRES = "(no genres listed)";
    private static final String CSV_HEADER = "userId,movieId,rating,timestamp";

    private final String source;
    private final Map<Integer, List<ClickEvent.Field>> users;
    private final Map<Integer, ClickEvent.Field> genres;
    private final int[] user;
    private final int[] item;
    private final boolean[] click;
    private final int[] lines;
    /** {@code timestamp << 31 | index}, sorted: time order, ties in file order. */
    private final long[] order;
    private final List<MalformedLineException> malformed;
    private int nextMalformed;
    private int next;

    private MovieLensRatingsReader(String source, Map<Integer, List<ClickEvent.Field>> users, Map<Integer, ClickEvent.Field> genres,
            Ratings r, List<MalformedLineException> malformed) {
        this.source = source;
        this.users = users;
        this.genres = genres;
        this.user = r.user;
        this.item = r.item;
        this.click = r.click;
        this.lines = r.lines;
        this.order = Arrays.copyOf(r.order, r.size);
        Arrays.sort(order);
        this.malformed = malformed;
    }

    /** Opens the folder of {@code layout} (ml-1m, ml-10m or ml-20m), or its ratings file. */
    public static MovieLensRatingsReader open(Path dirOrRatings, MovieLensLayout layout) {
        if (layout == MovieLensLayout.ML_100K) {
            throw new IllegalArgumentException("ml-100k is read by MovieLensLogReader");
        }
        Path ratings = layout.ratingsIn(dirOrRatings);
        Path dir = MovieLensLayout.directory(dirOrRatings);
        boolean csv = layout == MovieLensLayout.ML_20M;
        Map<Integer, List<ClickEvent.Field>> users = new HashMap<>();
        if (layout == MovieLensLayout.ML_1M) {
            readDat(dir.resolve("users.dat"), 5, cols -> users.put(Integer.valueOf(cols[0].trim()), List.of(
                    ClickEvent.Field.of("age", MovieLensLogReader.ageBucket(cols[2])),
                    ClickEvent.Field.of("gender", cols[1]),
                    ClickEvent.Field.of("occupation", cols[3].trim()),
                    ClickEvent.Field.of("zip", cols[4].length() > 3 ? cols[4].substring(0, 3) : cols[4]))));
        }
        Map<Integer, ClickEvent.Field> genres = new HashMap<>();
        if (csv) {
            readMoviesCsv(dir.resolve("movies.csv"), genres);
        } else {
            readDat(dir.resolve("movies.dat"), 3, cols -> genres.put(Integer.valueOf(cols[0].trim()), genres(cols[cols.length - 1])));
        }
        String source = ratings.toString();
        Ratings r = new Ratings();
        List<MalformedLineException> malformed = new ArrayList<>();
        try (LogInput in = LogInput.open(ratings, csv ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1)) {
            String first = in.nextLine(x -> !x.isBlank());
            if (first == null) {
                throw new IllegalArgumentException(layout + ": " + ratings + " is empty");
            }
            if (csv) {
                if (!first.strip().replace("\"", "").equals(CSV_HEADER)) {
                    throw new IllegalArgumentException(layout + " expects " + ratings + " to start with the header " + CSV_HEADER
                            + "; found '" + shorten(first) + "'");
                }
            } else if (split(first, "::").length != 4) {
                throw new IllegalArgumentException(layout + " expects " + ratings + " lines UserID::MovieID::Rating::Timestamp; line "
                        + in.lineNumber() + " is '" + shorten(first) + "'");
            }
            for (String l = csv ? in.nextLine(x -> !x.isBlank()) : first; l != null; l = in.nextLine(x -> !x.isBlank())) {
                long line = in.lineNumber();
                try {
                    rating(l, csv, source, line, users, genres, layout, r);
                } catch (MalformedLineException e) {
                    malformed.add(e);
                }
            }
        }
        return new MovieLensRatingsReader(source, users, genres, r, malformed);
    }

    private static void rating(String l, boolean csv, String source, long line, Map<Integer, List<ClickEvent.Field>> users,
            Map<Integer, ClickEvent.Field> genres, MovieLensLayout layout, Ratings out) {
        String[] c = split(l, csv ? "," : "::");
        if (c.length != 4) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX,
                    "expected 4 " + (csv ? "comma" : "::") + "-separated columns, got " + c.length);
        }
        int u;
        int i;
        double rating;
        long ts;
        try {
            u = Integer.parseInt(c[0].trim());
            i = Integer.parseInt(c[1].trim());
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "user '" + c[0] + "' or item '" + c[1]
                    + "' is not an integer");
        }
        try {
            rating = Double.parseDouble(c[2].trim());
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_LABEL, "rating '" + c[2] + "' is not a number");
        }
        try {
            ts = Long.parseLong(c[3].trim());
        } catch (NumberFormatException e) {
            throw new MalformedLineException(source, line, RejectReason.BAD_TIME, "timestamp '" + c[3] + "' is not an integer");
        }
        if (ts < 0 || ts >= 1L << 32) {
            throw new MalformedLineException(source, line, RejectReason.BAD_TIME, "timestamp " + ts + " is out of range");
        }
        if (layout == MovieLensLayout.ML_1M && !users.containsKey(u)) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "user '" + u + "' is not in users.dat");
        }
        if (!genres.containsKey(i)) {
            throw new MalformedLineException(source, line, RejectReason.BAD_SYNTAX, "item '" + i + "' is not in "
                    + (csv ? "movies.csv" : "movies.dat"));
        }
        out.add(u, i, rating >= 4, (int) Math.min(line, Integer.MAX_VALUE), ts);
    }

    /** Splits on a literal separator, keeping empty columns. */
    static String[] split(String l, String sep) {
        List<String> out = new ArrayList<>(5);
        int from = 0;
        for (int at; (at = l.indexOf(sep, from)) >= 0; from = at + sep.length()) {
            out.add(l.substring(from, at));
        }
        out.add(l.substring(from));
        return out.toArray(new String[0]);
    }

    private static ClickEvent.Field genres(String text) {
        String t = text.strip();
        List<String> g = new ArrayList<>(3);
        if (!t.isEmpty() && !t.equals(NO_GENRES)) {
            for (String v : split(t, "|")) {
                if (!v.isBlank()) {
                    g.add(v.strip());
                }
            }
        }
        return new ClickEvent.Field("genres", g);
    }

    private static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    private interface DatRow {
        void accept(String[] cols);
    }

    private static void readDat(Path file, int minCols, DatRow sink) {
        Charset cs = StandardCharsets.ISO_8859_1;
        try (LogInput in = LogInput.open(file, cs)) {
            for (String l; (l = in.nextLine(x -> !x.isBlank())) != null; ) {
                String[] cols = split(l, "::");
                if (cols.length < minCols) {
                    throw new IllegalArgumentException(file + ":" + in.lineNumber() + ": expected " + minCols
                            + " ::-separated columns, got " + cols.length + " in '" + shorten(l) + "'");
                }
                try {
                    sink.accept(cols);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(file + ":" + in.lineNumber() + ": " + e.getMessage());
                }
            }
        }
    }

    private static void readMoviesCsv(Path file, Map<Integer, ClickEvent.Field> genres) {
        CSVFormat f = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setIgnoreEmptyLines(true).get();
        try (LogInput in = LogInput.open(file, StandardCharsets.UTF_8); CSVParser p = CSVParser.parse(in.reader(), f)) {
            if (!p.getHeaderNames().containsAll(List.of("movieId", "genres"))) {
                throw new IllegalArgumentException("ml-20m expects " + file + " to start with the header movieId,title,genres; found "
                        + p.getHeaderNames());
            }
            for (CSVRecord rec : p) {
                try {
                    genres.put(Integer.valueOf(rec.get("movieId").trim()), genres(rec.get("genres")));
                } catch (IllegalArgumentException e) { // a bad movieId, or a short record
                    throw new IllegalArgumentException(file + ":" + p.getCurrentLineNumber() + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof CSVException) {
                throw new IllegalArgumentException(file + ": " + e.getCause().getMessage());
            }
            throw e;
        }
    }

    /** Growable columns of the ratings read. */
    private static final class Ratings {
        int size;
        int[] user = new int[1024];
        int[] item = new int[1024];
        boolean[] click = new boolean[1024];
        int[] lines = new int[1024];
        long[] order = new long[1024];

        void add(int u, int i, boolean c, int line, long ts) {
            if (size == user.length) {
                int n = (int) Math.min(Integer.MAX_VALUE - 8L, size * 2L);
                user = Arrays.copyOf(user, n);
                item = Arrays.copyOf(item, n);
                click = Arrays.copyOf(click, n);
                lines = Arrays.copyOf(lines, n);
                order = Arrays.copyOf(order, n);
            }
            user[size] = u;
            item[size] = i;
            click[size] = c;
            lines[size] = line;
            order[size] = ts << 31 | size;
            size++;
        }
    }

    @Override
    public String source() {
        return source;
    }

    /** Number of events (known up front, as the file is read at open). */
    public int size() {
        return order.length;
    }

    @Override
    public boolean hasNext() {
        return nextMalformed < malformed.size() || next < order.length;
    }

    @Override
    public LogRecord next() {
        if (nextMalformed < malformed.size()) {
            throw malformed.get(nextMalformed++);
        }
        if (next >= order.length) {
            throw new NoSuchElementException("no more records in " + source);
        }
        long key = order[next++];
        int k = (int) (key & 0x7fff_ffffL);
        long ts = key >>> 31;
        int u = user[k];
        int i = item[k];
        String us = Integer.toString(u);
        String is = Integer.toString(i);
        List<ClickEvent.Field> fields = new ArrayList<>(7);
        fields.add(ClickEvent.Field.of("user", us));
        fields.add(ClickEvent.Field.of("item", is));
        List<ClickEvent.Field> side = users.get(u);
        if (side != null) {
            fields.addAll(side);
        }
        ClickEvent.Field g = genres.get(i);
        if (g != null && !g.values().isEmpty()) {
            fields.add(g);
        }
        return new LogRecord(source, lines[k], new ClickEvent(us + ":" + is, ts * 1000L, click[k] ? 1 : 0, fields, List.of()));
    }

    @Override
    public double progress() {
        return order.length == 0 ? 1.0 : (double) next / order.length;
    }

    @Override
    public void close() {
        // Everything was read at open.
    }
}
