package io.inflight.topics.json;

import static org.assertj.core.api.Assertions.assertThat;

import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link JsonEventCodec#checkEncoding}'s hand-written UTF-8 check agrees with the JDK's strict decoder. */
class Utf8CheckTest {

    private final CharsetDecoder jdk = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer out = CharBuffer.allocate(64);

    private static final int[] INTERESTING = {0x01, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
        0xED, 0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};

    @Test
    void shouldAgreeWithTheJdkOnEveryLeadAndSecondByte() {
        byte[] b = new byte[5];
        b[0] = 'x'; // never a BOM, and no NUL: only the UTF-8 verdict is compared
        for (int c1 = 0x80; c1 < 256; c1++) {
            for (int c2 = 1; c2 < 256; c2++) {
                for (int c3 : INTERESTING) {
                    for (int c4 : new int[] {0x80, 0xC0}) {
                        b[1] = (byte) c1;
                        b[2] = (byte) c2;
                        b[3] = (byte) c3;
                        b[4] = (byte) c4;
                        compare(b);
                        compare(Arrays.copyOf(b, c4 == 0x80 ? 3 : 4)); // and cut short
                    }
                }
            }
        }
    }

    @Test
    void shouldAgreeWithTheJdkOnRandomSequences() {
        SplittableRandom rnd = new SplittableRandom(12);
        for (int i = 0; i < 300_000; i++) {
            byte[] b = new byte[1 + rnd.nextInt(9)];
            for (int k = 0; k < b.length; k++) {
                int v = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : 1 + rnd.nextInt(255);
                b[k] = (byte) v;
            }
            if (b.length >= 3 && b[0] == (byte) 0xEF && b[1] == (byte) 0xBB && b[2] == (byte) 0xBF) {
                continue;
            }
            compare(b);
        }
    }

    private void compare(byte[] b) {
        jdk.reset();
        out.clear();
        CoderResult r = jdk.decode(ByteBuffer.wrap(b), out, true);
        boolean jdkOk = !r.isError() && !jdk.flush(out).isError();
        RejectReason ours;
        try {
            JsonEventCodec.checkEncoding(b);
            ours = null;
        } catch (MalformedEventException e) {
            ours = e.reason();
        }
        assertThat(ours).as(HexFormat.of().formatHex(b)).isEqualTo(jdkOk ? null : RejectReason.BAD_UTF8);
    }
}
