package io.inflight.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private final EventCodec codec = new EventCodec(EventLimits.DEFAULTS);

    private static ClickEvent sample() {
        return new ClickEvent("ev-1", 1_700_000_000_123L, 1,
                List.of(ClickEvent.Field.of("site", "a1b2"), new ClickEvent.Field("tags", List.of("x", "ü", "日本"))),
                List.of(new ClickEvent.Numeric("price", 12.5)));
    }

    @Test
    void shouldRoundTripEveryPart() {
        ClickEvent e = sample();
        assertThat(codec.decode(codec.encode(e))).isEqualTo(e);
        ClickEvent noId = new ClickEvent(null, -5L, 0, List.of(ClickEvent.Field.of("u", "1")), List.of());
        assertThat(codec.decode(codec.encode(noId))).isEqualTo(noId);
    }

    @Test
    void shouldStartWithTheFormatVersion() {
        assertThat(codec.encode(sample())[0]).isEqualTo(EventCodec.VERSION);
    }

    @Test
    void shouldRejectEmptyRecord() {
        assertReason(new byte[0], RejectReason.EMPTY);
        assertReason(null, RejectReason.EMPTY);
    }

    @Test
    void shouldRejectUnknownVersionNamingIt() {
        byte[] b = codec.encode(sample());
        b[0] = 9;
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOf(MalformedEventException.class)
                .hasMessageContaining("version 9");
    }

    @Test
    void shouldRejectEveryTruncation() {
        byte[] full = codec.encode(sample());
        for (int len = 1; len < full.length; len++) {
            byte[] cut = Arrays.copyOf(full, len);
            assertThatThrownBy(() -> codec.decode(cut)).as("length %d", len)
                    .isInstanceOf(MalformedEventException.class);
        }
    }

    @Test
    void shouldRejectTrailingBytes() {
        byte[] full = codec.encode(sample());
        assertReason(Arrays.copyOf(full, full.length + 1), RejectReason.TRAILING_BYTES);
    }

    @Test
    void shouldRejectInvalidUtf8() {
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(ClickEvent.Field.of("f", "ab")), List.of());
        byte[] b = codec.encode(e);
        b[b.length - 2] = (byte) 0xC3; // lone lead byte followed by 'b'
        assertReason(b, RejectReason.BAD_UTF8);
    }

    @Test
    void shouldRejectTooManyFeaturesBeforeAllocatingThem() {
        EventCodec small = new EventCodec(new EventLimits(3, 1024, 0, 0));
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(new ClickEvent.Field("f", List.of("1", "2", "3", "4"))), List.of());
        assertThatThrownBy(() -> small.decode(codec.encode(e))).isInstanceOf(MalformedEventException.class)
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(RejectReason.TOO_MANY_FEATURES));
    }

    @Test
    void shouldRejectOverlongString() {
        EventCodec small = new EventCodec(new EventLimits(10, 4, 0, 0));
        ClickEvent e = new ClickEvent(null, 0, 0, List.of(ClickEvent.Field.of("f", "12345")), List.of());
        assertThatThrownBy(() -> small.decode(codec.encode(e)))
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(RejectReason.STRING_TOO_LONG))
                .hasMessageContaining("5 bytes");
    }

    private void assertReason(byte[] bytes, RejectReason reason) {
        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(MalformedEventException.class)
                .satisfies(t -> assertThat(((MalformedEventException) t).reason()).isEqualTo(reason));
    }
}
