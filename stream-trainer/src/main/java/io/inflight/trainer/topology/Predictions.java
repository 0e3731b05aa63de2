package io.inflight.trainer.topology;

import java.nio.charset.StandardCharsets;

/**
 * The records of the predictions topic: one JSON object per scored event,
 * {@code {"id":"...","time":...,"label":0|1,"p":...}}, written with no key. {@code p} is the
 * probability the model gave the event before it learned from it (progressive validation).
 */
final class Predictions {

    private Predictions() {
    }

    /**
     * The JSON line of one prediction: {@code id} as a JSON string (null as {@code null}; quotes,
     * backslashes and control characters escaped), {@code time} the event time in ms, {@code p} as
     * {@link Double#toString}.
     */
    static byte[] encode(String id, long time, int label, double p) {
        StringBuilder b = new StringBuilder(96).append("{\"id\":");
        if (id == null) {
            b.append("null");
        } else {
            b.append('"');
            for (int i = 0; i < id.length(); i++) {
                char c = id.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20) {
                    b.append(String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
            b.append('"');
        }
        b.append(",\"time\":").append(time).append(",\"label\":").append(label).append(",\"p\":").append(p).append('}');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
