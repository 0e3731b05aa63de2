package io.inflight.topics.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MovieLens 1M, 10M and 20M on small fixtures, and the one-line error for a folder of another layout. */
class MovieLensLayoutsTest {

    @TempDir
    Path tmp;

    /** Folder {@code name} holding the files given as name, content pairs. */
    private Path folder(String name, String... files) {
        Path d;
        try {
            d = Files.createDirectories(tmp.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < files.length; i += 2) {
            LogTestFiles.write(d, files[i], files[i + 1]);
        }
        return d;
    }

    private Path ml1m() {
        Path d = folder("ml-1m");
        LogTestFiles.write(d, "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n");
        LogTestFiles.write(d, "movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
                + "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n");
        LogTestFiles.write(d, "ratings.dat", "1::1193::5::978300760\n2::661::3::978300700\n1::999::4::978300800\n"
                + "2::1193::x::978300900\n\n1::661::4::978300700\n");
        return d;
    }

    private Path ml100k() {
        Path d = folder("ml-100k", "u.user", "1|24|M|technician|85711\n",
                "u.item", "10|Toy|01-Jan-1995||http://x|0|1" + "|0".repeat(17) + "\n", "u.data", "1\t10\t5\t300\n");
        return d;
    }

    @Test
    void shouldReadMovieLens1mWithUsersAndMultiValuedGenresInTimeOrder() {
        Path d = ml1m();
        List<MalformedLineException> bad = new ArrayList<>();
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.parse("ml-1m").open(d, LogFormat.Options.defaults()), bad);
        assertThat(bad).extracting(MalformedLineException::line).containsExactly(3L, 4L);
        assertThat(bad).extracting(MalformedLineException::reason).containsExactly(RejectReason.BAD_SYNTAX, RejectReason.BAD_LABEL);
        assertThat(bad.get(0).detail()).contains("item '999'").contains("movies.dat");
        // 978300700 twice (file order: line 2, line 6), then 978300760.
        assertThat(recs).extracting(LogRecord::line).containsExactly(2L, 6L, 1L);
        ClickEvent peach = recs.get(0).event();
        assertThat(peach.id()).isEqualTo("2:661");
        assertThat(peach.label()).isZero();
        assertThat(peach.eventTimeMs()).isEqualTo(978_300_700_000L);
        assertThat(peach.fields()).containsExactly(ClickEvent.Field.of("user", "2"), ClickEvent.Field.of("item", "661"),
                ClickEvent.Field.of("age", "56"), ClickEvent.Field.of("gender", "M"), ClickEvent.Field.of("occupation", "16"),
                ClickEvent.Field.of("zip", "700"), new ClickEvent.Field("genres", List.of("Animation", "Children's", "Musical")));
        assertThat(recs.get(1).event().label()).isEqualTo(1); // rating 4: the ml-100k rule, rating >= 4
        assertThat(recs.get(2).event().fields()).contains(ClickEvent.Field.of("age", "1"), new ClickEvent.Field("genres", List.of("Drama")));
    }

    @Test
    void shouldReadMovieLens10mWithHalfStarsAndNoUsers() {
        Path d = folder("ml-10M100K",
                "movies.dat", "122::Boomerang (1992)::Comedy|Romance\n185::Net, The (1995)::Action|Crime|Thriller\n",
                "tags.dat", "15::4973::excellent!::1215184630\n",
                "ratings.dat", "1::122::5::838985046\n1::185::3.5::838983525\n2::122::4.5::838983421\n");
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.ML_10M.open(d, LogFormat.Options.defaults()));
        assertThat(recs).extracting(r -> r.event().id()).containsExactly("2:122", "1:185", "1:122");
        assertThat(recs).extracting(r -> r.event().label()).containsExactly(1, 0, 1);
        assertThat(recs.get(1).event().fields()).containsExactly(ClickEvent.Field.of("user", "1"), ClickEvent.Field.of("item", "185"),
                new ClickEvent.Field("genres", List.of("Action", "Crime", "Thriller")));
        // The ratings file itself works too, and "movielens" detects the layout.
        assertThat(LogTestFiles.drain(LogFormat.ML_10M.open(d.resolve("ratings.dat"), LogFormat.Options.defaults()))).hasSize(3);
        assertThat(LogTestFiles.drain(LogFormat.MOVIELENS.open(d, LogFormat.Options.defaults()))).hasSize(3);
    }

    @Test
    void shouldReadMovieLens20mCsvWithQuotedTitles() {
        Path d = folder("ml-20m");
        LogTestFiles.write(d, "movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
                + "11,\"American President, The (1995)\",Comedy|Drama|Romance\n131262,Innocence (2014),(no genres listed)\n");
        LogTestFiles.write(d, "ratings.csv", "userId,movieId,rating,timestamp\n1,11,3.5,1112486027\n1,1,4.0,1112484676\n"
                + "2,131262,5.0,1112484000\n");
        List<LogRecord> recs = LogTestFiles.drain(LogFormat.parse("ML-20M").open(d, LogFormat.Options.defaults()));
        assertThat(recs).extracting(LogRecord::line).containsExactly(4L, 3L, 2L);
        assertThat(recs.get(0).event().fields()).containsExactly(ClickEvent.Field.of("user", "2"), ClickEvent.Field.of("item", "131262"));
        assertThat(recs.get(1).event().label()).isEqualTo(1);
        assertThat(recs.get(2).event().label()).isZero();
        assertThat(recs.get(2).event().fields()).contains(new ClickEvent.Field("genres", List.of("Comedy", "Drama", "Romance")));
        assertThat(recs.get(2).event().eventTimeMs()).isEqualTo(1_112_486_027_000L);
        assertThat(LogTestFiles.drain(LogFormat.MOVIELENS.open(d.resolve("ratings.csv"), LogFormat.Options.defaults()))).hasSize(3);
    }

    @Test
    void shouldNameTheExpectedAndTheFoundLayoutInOneLine() {
        Path m1 = ml1m();
        Path m100 = ml100k();
        assertThatThrownBy(() -> LogFormat.ML_100K.open(m1, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("ml-100k expects u.data")
                .hasMessageContaining("[movies.dat, ratings.dat, users.dat]")
                .hasMessageContaining("looks like ml-1m")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(LogFormat.MOVIELENS.toString()).isEqualTo("movielens");
        assertThatThrownBy(() -> LogFormat.ML_1M.open(m100, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("ml-1m expects ratings.dat")
                .hasMessageContaining("[u.data, u.item, u.user]")
                .hasMessageContaining("looks like ml-100k");
        assertThatThrownBy(() -> LogFormat.ML_10M.open(m1, LogFormat.Options.defaults()))
                .hasMessageStartingWith("ml-10m expects").hasMessageContaining("looks like ml-1m");
        assertThatThrownBy(() -> LogFormat.ML_20M.open(m1.resolve("ratings.dat"), LogFormat.Options.defaults()))
                .hasMessageStartingWith("ml-20m expects ratings.csv").hasMessageContaining("ratings.dat in " + m1);
        Path empty = folder("nothing");
        LogTestFiles.write(empty, "notes.txt", "x");
        assertThatThrownBy(() -> LogFormat.MOVIELENS.open(empty, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[notes.txt]");
    }

    @Test
    void shouldRejectARatingsFileWhoseLinesAreOfAnotherLayout() {
        Path d = folder("renamed", "users.dat", "1::F::1::10::48067\n", "movies.dat", "1::A::Drama\n",
                "ratings.dat", "1\t1\t5\t978300760\n");
        assertThatThrownBy(() -> LogFormat.ML_1M.open(d, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UserID::MovieID::Rating::Timestamp").hasMessageContaining("line 1");
        Path c = folder("csv");
        LogTestFiles.write(c, "movies.csv", "movieId,title,genres\n1,A,Drama\n");
        LogTestFiles.write(c, "ratings.csv", "1,1,5,978300760\n");
        assertThatThrownBy(() -> LogFormat.ML_20M.open(c, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header userId,movieId,rating,timestamp");
        Path h = folder("h");
        LogTestFiles.write(h, "u.user", "1|24|M|technician|85711\n");
        LogTestFiles.write(h, "u.item", "10|Toy|01-Jan-1995||http://x|0|1" + "|0".repeat(17) + "\n");
        LogTestFiles.write(h, "u.data", "1::10::5::300\n");
        assertThatThrownBy(() -> LogFormat.ML_100K.open(h, LogFormat.Options.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ml-100k expects").hasMessageContaining("line 1");
    }

    @Test
    void shouldParseTheFormatNames() {
        assertThat(LogFormat.parse("ml-1m")).isEqualTo(LogFormat.ML_1M);
        assertThat(LogFormat.parse("ml-100k")).isEqualTo(LogFormat.ML_100K);
        assertThat(LogFormat.ML_20M).hasToString("ml-20m");
        assertThatThrownBy(() -> LogFormat.parse("ml-2m")).hasMessageContaining("ml-10m");
    }
}
