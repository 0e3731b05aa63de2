package io.inflight.ops.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** replay --dry-run on a MovieLens folder of the wrong release: exit 2 and one error line, no stack trace. */
@Timeout(60)
class ReplayLogLayoutTest {

    @TempDir
    Path tmp;

    @Test
    void shouldNameTheExpectedAndFoundLayoutInOneErrorLine() throws Exception {
        Path ml1m = Files.createDirectories(tmp.resolve("ml-1m"));
        Files.writeString(ml1m.resolve("users.dat"), "1::F::1::10::48067\n");
        Files.writeString(ml1m.resolve("movies.dat"), "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n");
        Files.writeString(ml1m.resolve("ratings.dat"), "1::1193::5::978300760\n");
        StringWriter err = new StringWriter();
        int code = InflightCli.run(new PrintWriter(err, true), "replay", "--dry-run", "--format", "ml-100k", ml1m.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString().lines().filter(l -> l.startsWith("error:")))
                .singleElement().asString()
                .contains("ml-100k expects u.data").contains("[movies.dat, ratings.dat, users.dat]").contains("looks like ml-1m");
        assertThat(err.toString()).doesNotContain("\tat ");
    }
}
