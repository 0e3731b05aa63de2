package io.inflight.topics.logs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The MovieLens releases Inflight reads, told apart by their files: ml-100k ({@code u.data},
 * {@code u.user}, {@code u.item}), ml-1m ({@code ratings.dat}, {@code movies.dat}, {@code users.dat}),
 * ml-10m ({@code ratings.dat}, {@code movies.dat}, no {@code users.dat}) and ml-20m
 * ({@code ratings.csv}, {@code movies.csv}; also ml-25m and ml-latest, which share the layout).
 */
public enum MovieLensLayout {
    ML_100K("u.data", "u.data (user<TAB>item<TAB>rating<TAB>timestamp) with u.user and u.item", "u.data", "u.user", "u.item"),
    ML_1M("ratings.dat", "ratings.dat (UserID::MovieID::Rating::Timestamp) with movies.dat and users.dat", "ratings.dat",
            "movies.dat", "users.dat"),
    ML_10M("ratings.dat", "ratings.dat (UserID::MovieID::Rating::Timestamp) with movies.dat and no users.dat", "ratings.dat",
            "movies.dat"),
    ML_20M("ratings.csv", "ratings.csv (userId,movieId,rating,timestamp) with movies.csv", "ratings.csv", "movies.csv");

    private final String ratings;
    private final String description;
    private final List<String> required;

    MovieLensLayout(String ratings, String description, String... required) {
        this.ratings = ratings;
        this.description = description;
        this.required = List.of(required);
    }

    /** The ratings file's name, e.g. {@code ratings.dat}. */
    public String ratingsFile() {
        return ratings;
    }

    /** The directory of {@code dirOrRatings}: itself, or the folder of a ratings file. */
    public static Path directory(Path dirOrRatings) {
        return Files.isDirectory(dirOrRatings) ? dirOrRatings : dirOrRatings.toAbsolutePath().getParent();
    }

    /** The layout of the directory {@code dirOrRatings} (or of a ratings file's folder), or null when it is none of them. */
    public static MovieLensLayout detect(Path dirOrRatings) {
        Path dir = directory(dirOrRatings);
        if (!Files.isDirectory(dirOrRatings)) {
            String name = dirOrRatings.getFileName().toString();
            if (name.equals("u.data")) {
                return ML_100K;
            }
            if (name.equals("ratings.csv")) {
                return ML_20M;
            }
            if (name.equals("ratings.dat")) {
                return Files.exists(dir.resolve("users.dat")) ? ML_1M : ML_10M;
            }
        }
        if (Files.exists(dir.resolve("u.data"))) {
            return ML_100K;
        }
        if (Files.exists(dir.resolve("ratings.dat"))) {
            return Files.exists(dir.resolve("users.dat")) ? ML_1M : ML_10M;
        }
        if (Files.exists(dir.resolve("ratings.csv"))) {
            return ML_20M;
        }
        return null;
    }

    /**
     * The ratings file of this layout in {@code dirOrRatings}, after checking that the folder is this
     * layout: otherwise an {@link IllegalArgumentException} in one line naming the expected layout, the
     * files found and the layout they look like.
     */
    public Path ratingsIn(Path dirOrRatings) {
        if (!Files.exists(dirOrRatings)) {
            throw new IllegalArgumentException(this + ": " + dirOrRatings + " does not exist (expected a folder with " + description + ")");
        }
        Path dir = directory(dirOrRatings);
        MovieLensLayout found = detect(dirOrRatings);
        boolean fileGiven = !Files.isDirectory(dirOrRatings);
        if (found != this || fileGiven && !dirOrRatings.getFileName().toString().equals(ratings)) {
            String looks = found == null ? "which is no MovieLens layout Inflight knows" : "which looks like " + found + " (format " + found + ")";
            String given = fileGiven ? dirOrRatings.getFileName() + " in " + dir : dir.toString();
            throw new IllegalArgumentException(this + " expects " + description + "; found " + given + " holding " + listing(dir)
                    + ", " + looks);
        }
        for (String f : required) {
            if (!Files.exists(dir.resolve(f))) {
                throw new IllegalArgumentException(this + " expects " + description + "; " + dir + " has no " + f + " (found "
                        + listing(dir) + ")");
            }
        }
        return fileGiven ? dirOrRatings : dir.resolve(ratings);
    }

    /** The first names in {@code dir}, sorted, e.g. {@code [movies.dat, ratings.dat, users.dat]}. */
    static String listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            if (names.isEmpty()) {
                return "no files";
            }
            return names.size() <= 8 ? names.toString()
                    : names.subList(0, 8).toString().replace("]", ", ... (" + names.size() + " entries)]");
        } catch (IOException e) {
            return "(cannot list: " + e.getMessage() + ")";
        }
    }

    /** Opens this layout's reader on a folder (or its ratings file). */
    public LogReader open(Path dirOrRatings) {
        return this == ML_100K ? MovieLensLogReader.open(dirOrRatings) : MovieLensRatingsReader.open(dirOrRatings, this);
    }

    /** Opens whichever layout {@code dirOrRatings} holds. */
    public static LogReader openDetected(Path dirOrRatings) {
        if (!Files.exists(dirOrRatings)) {
            throw new IllegalArgumentException("movielens: " + dirOrRatings + " does not exist");
        }
        MovieLensLayout l = detect(dirOrRatings);
        if (l == null) {
            Path dir = directory(dirOrRatings);
            throw new IllegalArgumentException("movielens: expected a MovieLens folder (u.data: ml-100k, ratings.dat: ml-1m/ml-10m, "
                    + "ratings.csv: ml-20m); found " + dir + " holding " + listing(dir));
        }
        return l.open(dirOrRatings);
    }

    /** {@code ml-100k}, {@code ml-1m}, {@code ml-10m} or {@code ml-20m}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
