package io.inflight.topics.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventDecoder;
import io.inflight.topics.EventLimits;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import java.io.ByteArrayOutputStream;
import java.io.CharConversionException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A JSON format of {@link ClickEvent} for topics written by hand or by tools that do not speak the
 * binary {@link io.inflight.topics.EventCodec}:
 *
 * <pre>
 * {"id": "e-1", "time": 1700000000000, "label": 1,
 *  "fields": {"site": "a1", "tags": ["x", "y"]}, "numeric": {"price": 3.5}}
 * </pre>
 *
 * <ul>
 *   <li>{@code time} (required): epoch milliseconds as an integer, or an ISO-8601 instant string;</li>
 *   <li>{@code label} (required): an integer (0/1 is checked by the validator) or a boolean;</li>
 *   <li>{@code id} (optional): a string;</li>
 *   <li>{@code fields} (optional, but an event needs one feature to be valid): field name to a scalar
 *       (string, number or boolean, kept as its text) or an array of scalars (a multi-valued field);
 *       {@code null} means the field is missing;</li>
 *   <li>{@code numeric} (optional): field name to a number, or to the strings {@code "NaN"},
 *       {@code "Infinity"}, {@code "-Infinity"} (so that every event round-trips; the validator
 *       rejects non-finite values).</li>
 * </ul>
 *
 * <p>Decoding is strict like the binary codec: invalid UTF-8 (also a lone surrogate written as an
 * escape, which UTF-8 cannot carry), a byte-order mark or NUL bytes, syntax errors, unknown or repeated
 * keys, wrong types and limit violations raise {@link MalformedEventException} with the matching
 * {@link RejectReason}. A missing label is {@link RejectReason#MISSING_LABEL}; a missing or unreadable
 * time is {@link RejectReason#BAD_TIME}. Semantic checks are {@link io.inflight.topics.EventValidator}'s.
 * Immutable and thread-safe.
 */
public final class JsonEventCodec implements EventDecoder {

    private static final JsonFactory FACTORY = new JsonFactory();

    private final EventLimits limits;

    public JsonEventCodec(EventLimits limits) {
        this.limits = limits;
    }

    public EventLimits limits() {
        return limits;
    }

    /** Encodes an event as one line of UTF-8 JSON (no trailing newline). */
    public byte[] encode(ClickEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 24 * e.featureCount());
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            if (e.id() != null) {
                g.writeStringField("id", e.id());
            }
            g.writeNumberField("time", e.eventTimeMs());
            g.writeNumberField("label", e.label());
            g.writeObjectFieldStart("fields");
            for (ClickEvent.Field f : e.fields()) {
                if (f.values().size() == 1) {
                    g.writeStringField(f.name(), f.values().get(0));
                } else {
                    g.writeArrayFieldStart(f.name());
                    for (String v : f.values()) {
                        g.writeString(v);
                    }
                    g.writeEndArray();
                }
            }
            g.writeEndObject();
            if (!e.numerics().isEmpty()) {
                g.writeObjectFieldStart("numeric");
                for (ClickEvent.Numeric n : e.numerics()) {
                    if (Double.isFinite(n.value())) {
                        g.writeNumberField(n.name(), n.value());
                    } else {
                        g.writeStringField(n.name(), Double.toString(n.value()));
                    }
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot encode event " + e.id() + " as JSON", ex);
        }
        return out.toByteArray();
    }

    /** Encodes an event as a JSON string (one line). */
    public String encodeToString(ClickEvent e) {
        return new String(encode(e), StandardCharsets.UTF_8);
    }

    /** Decodes one JSON text; see the class comment for the rules. */
    @Override
    public ClickEvent decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new MalformedEventException(RejectReason.EMPTY, "record value is empty");
        }
        checkEncoding(bytes);
        try (JsonParser p = FACTORY.createParser(bytes)) {
            ClickEvent e = parse(p);
            if (p.nextToken() != null) {
                throw syntax("unexpected content after the JSON object at " + location(p));
            }
            return e;
        } catch (JsonProcessingException e) {
            String msg = e.getOriginalMessage();
            String detail = (msg == null ? e.toString() : msg) + " at " + location(e);
            if (msg != null && (msg.startsWith("Broken surrogate pair") || msg.startsWith("Unexpected low surrogate")
                    || msg.startsWith("Incomplete surrogate pair") || msg.startsWith("Invalid UTF-8"))) {
                // Jackson checks escaped field names itself: a lone surrogate is not expressible in UTF-8, so
                // bad-utf8 as on the binary path (prefixes only: other messages quote the input)
                throw new MalformedEventException(RejectReason.BAD_UTF8, detail);
            }
            throw syntax(detail);
        } catch (CharConversionException e) { // Jackson's UTF-16/32 readers; checkEncoding keeps them out
            throw new MalformedEventException(RejectReason.BAD_UTF8, "record value is not UTF-8 JSON: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read JSON from a byte array", e);
        }
    }

    /**
     * The record must be UTF-8 JSON text and nothing else: strictly valid UTF-8 (no overlong forms, no
     * encoded surrogates, nothing past U+10FFFF), without a byte-order mark and without NUL bytes (never
     * valid in JSON text; they are also what makes Jackson guess UTF-16 or UTF-32 and read the record in
     * that encoding). One pass, no allocation.
     */
    static void checkEncoding(byte[] b) {
        int n = b.length;
        if (n >= 3 && b[0] == (byte) 0xEF && b[1] == (byte) 0xBB && b[2] == (byte) 0xBF) {
            throw syntax("record value starts with a byte-order mark (U+FEFF): JSON text has none");
        }
        int i = 0;
        while (i < n) {
            int c = b[i];
            if (c > 0) { // ASCII, the common case
                i++;
                continue;
            }
            if (c == 0) {
                throw syntax("NUL byte at offset " + i + " (JSON text is UTF-8 without control characters)");
            }
            c &= 0xFF;
            int len;
            int lo = 0x80;
            int hi = 0xBF; // bounds of the byte after the lead byte
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                if (c == 0xE0) {
                    lo = 0xA0; // overlong below U+0800
                } else if (c == 0xED) {
                    hi = 0x9F; // surrogates U+D800..U+DFFF
                }
            } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                if (c == 0xF0) {
                    lo = 0x90; // overlong below U+10000
                } else if (c == 0xF4) {
                    hi = 0x8F; // beyond U+10FFFF
                }
            } else {
                throw badUtf8(i);
            }
            if (i + len > n) {
                throw badUtf8(i);
            }
            int b1 = b[i + 1] & 0xFF;
            if (b1 < lo || b1 > hi) {
                throw badUtf8(i);
            }
            for (int k = 2; k < len; k++) {
                if ((b[i + k] & 0xC0) != 0x80) {
                    throw badUtf8(i);
                }
            }
            i += len;
        }
    }

    private static MalformedEventException badUtf8(int offset) {
        return new MalformedEventException(RejectReason.BAD_UTF8, "record value is not valid UTF-8 at offset " + offset);
    }

    /** Decodes one JSON text given as a string. */
    public ClickEvent decode(String json) {
        return decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private ClickEvent parse(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw syntax("expected a JSON object, got " + p.currentToken());
        }
        String id = null;
        Long time = null;
        Integer label = null;
        List<ClickEvent.Field> fields = List.of();
        List<ClickEvent.Numeric> numerics = List.of();
        Set<String> keys = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (!keys.add(key)) {
                throw syntax("key '" + key + "' appears twice");
            }
            JsonToken t = p.nextToken();
            switch (key) {
                case "id" -> id = t == JsonToken.VALUE_NULL ? null : checked(requireText(p, t, "id"), "id");
                case "time" -> time = time(p, t);
                case "label" -> label = label(p, t);
                case "fields" -> fields = fields(p, t);
                case "numeric" -> numerics = numerics(p, t);
                default -> throw syntax("unknown key '" + key + "' (expected id, time, label, fields, numeric)");
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw syntax("unexpected " + p.currentToken() + " at " + location(p));
        }
        if (label == null) {
            throw new MalformedEventException(RejectReason.MISSING_LABEL, "JSON event has no 'label'");
        }
        if (time == null) {
            throw new MalformedEventException(RejectReason.BAD_TIME, "JSON event has no 'time'");
        }
        return new ClickEvent(id, time, label, fields, numerics);
    }

    private static long time(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw new MalformedEventException(RejectReason.BAD_TIME, "'time' " + p.getText() + " does not fit in a long");
            }
            return p.getLongValue();
        }
        if (t == JsonToken.VALUE_STRING) {
            try {
                return Instant.parse(p.getText()).toEpochMilli();
            } catch (DateTimeParseException | ArithmeticException e) {
                throw new MalformedEventException(RejectReason.BAD_TIME,
                        "'time' \"" + p.getText() + "\" is not an ISO-8601 instant (e.g. 2024-01-31T12:00:00Z)");
            }
        }
        throw new MalformedEventException(RejectReason.BAD_TIME,
                "'time' must be epoch milliseconds or an ISO-8601 string, got " + describe(p, t));
    }

    private static int label(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            return t == JsonToken.VALUE_TRUE ? 1 : 0;
        }
        if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
            return p.getIntValue();
        }
        if (t == JsonToken.VALUE_NULL) {
            throw new MalformedEventException(RejectReason.MISSING_LABEL, "'label' is null");
        }
        throw new MalformedEventException(RejectReason.BAD_LABEL, "'label' must be 0 or 1, got " + describe(p, t));
    }

    private List<ClickEvent.Field> fields(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_OBJECT) {
            throw syntax("'fields' must be an object, got " + describe(p, t));
        }
        List<ClickEvent.Field> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int features = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = checked(p.currentName(), "field name");
            duplicate(seen, name);
            if (out.size() == limits.maxFeatures()) { // as on the binary path, where the field count is limited too
                throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES,
                        "more than " + limits.maxFeatures() + " categorical fields");
            }
            JsonToken v = p.nextToken();
            List<String> values;
            if (v == JsonToken.VALUE_NULL) {
                continue;
            } else if (v == JsonToken.START_ARRAY) {
                values = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    values.add(checked(scalar(p, e, name), "value of field '" + name + "'"));
                    features++;
                    checkFeatures(features);
                }
            } else {
                values = List.of(checked(scalar(p, v, name), "value of field '" + name + "'"));
                features++;
                checkFeatures(features);
            }
            out.add(new ClickEvent.Field(name, values));
        }
        return out;
    }

    private List<ClickEvent.Numeric> numerics(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (t != JsonToken.START_OBJECT) {
            throw syntax("'numeric' must be an object, got " + describe(p, t));
        }
        List<ClickEvent.Numeric> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = checked(p.currentName(), "numeric field name");
            duplicate(seen, name);
            JsonToken v = p.nextToken();
            double value;
            if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                value = p.getDoubleValue();
            } else if (v == JsonToken.VALUE_STRING && isNonFinite(p.getText())) {
                value = Double.parseDouble(p.getText());
            } else if (v == JsonToken.VALUE_NULL) {
                continue;
            } else {
                throw syntax("numeric field '" + name + "' must be a number, got " + describe(p, v));
            }
            out.add(new ClickEvent.Numeric(name, value));
            if (out.size() > limits.maxFeatures()) {
                throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES,
                        "more than " + limits.maxFeatures() + " numeric fields");
            }
        }
        return out;
    }

    private static void duplicate(Set<String> seen, String name) {
        if (!seen.add(name)) {
            throw new MalformedEventException(RejectReason.DUPLICATE_FIELD, "field '" + name + "' appears twice");
        }
    }

    private static boolean isNonFinite(String s) {
        return s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity");
    }

    private static String scalar(JsonParser p, JsonToken t, String field) throws IOException {
        return switch (t) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> p.getText();
            default -> throw syntax("field '" + field + "' must be a string, number, boolean or an array of them, got "
                    + describe(p, t));
        };
    }

    private void checkFeatures(int features) {
        if (features > limits.maxFeatures()) {
            throw new MalformedEventException(RejectReason.TOO_MANY_FEATURES, "more than " + limits.maxFeatures() + " features");
        }
    }

    /**
     * The string's UTF-8 length must be within the limit, and it must be encodable in UTF-8 at all: a
     * lone or misordered surrogate (possible through a {@code \\uD800} escape) is rejected as
     * {@link RejectReason#BAD_UTF8}, as the binary path rejects an encoded surrogate. One pass over the
     * chars, no allocation; the length is checked first, as on the binary path.
     */
    private String checked(String s, String what) {
        int n = s.length();
        long bytes = 0;
        int lone = -1;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (!Character.isSurrogate(c)) {
                bytes += 3;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
                if (lone < 0) {
                    lone = i;
                }
            }
        }
        if (bytes > limits.maxStringBytes()) {
            throw new MalformedEventException(RejectReason.STRING_TOO_LONG,
                    what + " has " + bytes + " bytes, more than the limit of " + limits.maxStringBytes());
        }
        if (lone >= 0) {
            throw new MalformedEventException(RejectReason.BAD_UTF8,
                    what + " has a lone surrogate U+" + Integer.toHexString(s.charAt(lone)).toUpperCase(Locale.ROOT)
                            + " at char " + lone + " (not encodable in UTF-8)");
        }
        return s;
    }

    private static String requireText(JsonParser p, JsonToken t, String key) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw syntax("'" + key + "' must be a string, got " + describe(p, t));
        }
        return p.getText();
    }

    private static String describe(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_NULL -> "null";
            case VALUE_STRING -> "\"" + p.getText() + "\"";
            default -> p.getText();
        };
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "unknown offset" : "offset " + e.getLocation().getByteOffset();
    }

    private static String location(JsonParser p) {
        return "offset " + p.currentLocation().getByteOffset();
    }

    private static MalformedEventException syntax(String detail) {
        return new MalformedEventException(RejectReason.BAD_SYNTAX, detail);
    }
}
