package io.inflight.topics.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.topics.ClickEvent;
import io.inflight.topics.EventLimits;
import io.inflight.topics.MalformedEventException;
import io.inflight.topics.RejectReason;
import io.inflight.topics.json.JsonEventCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a JSON-lines log (one JSON object per line, plain or gzip; blank lines skipped). With a
 * {@link LogMapping} the object's keys are the columns (arrays are multi-valued fields); without one,
 * each line must be an event in the {@link JsonEventCodec} format.
 */
public final class JsonLinesLogReader extends LineLogReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RowMapper mapper;
    private final JsonEventCodec codec;
    private final NodeRow row;

    private JsonLinesLogReader(Path path, RowMapper mapper, JsonEventCodec codec, NodeRow row) {
        super(path, l -> !l.isBlank());
        this.mapper = mapper;
        this.codec = codec;
        this.row = row;
    }

    /**
     * Opens {@code path}. {@code mapping} may be null: lines are then {@link JsonEventCodec} events,
     * checked against {@code limits}. {@code categorical=*} is not supported (JSON has no header).
     */
    public static JsonLinesLogReader open(Path path, LogMapping mapping, EventLimits limits) {
        RowMapper mapper = null;
        NodeRow row = null;
        if (mapping != null) {
            if (mapping.allCategorical()) {
                throw new IllegalArgumentException("categorical=* needs a header; list the JSON keys, e.g. categorical=site,app");
            }
            Set<String> keys = new LinkedHashSet<>();
            keys.add(mapping.label());
            if (mapping.time() != null) {
                keys.add(mapping.time());
            }
            if (mapping.id() != null) {
                keys.add(mapping.id());
            }
            keys.addAll(mapping.categorical());
            keys.addAll(mapping.numeric().keySet());
            mapper = RowMapper.bind(mapping, new ArrayList<>(keys));
            row = new NodeRow(mapper.columns());
            mapper.warnAs(path.toString());
        }
        return new JsonLinesLogReader(path, mapper, mapping == null ? new JsonEventCodec(limits) : null, row);
    }

    @Override
    LogRecord parse(String text) {
        long line = line();
        try {
            ClickEvent e;
            if (codec != null) {
                e = codec.decode(text);
            } else {
                JsonNode node;
                try {
                    node = JSON.readTree(text);
                } catch (JsonProcessingException ex) {
                    throw new MalformedEventException(RejectReason.BAD_SYNTAX, ex.getOriginalMessage());
                }
                if (node == null || !node.isObject()) {
                    throw new MalformedEventException(RejectReason.BAD_SYNTAX, "line is not a JSON object");
                }
                row.node = node;
                e = mapper.map(row, line);
            }
            return new LogRecord(source(), line, e);
        } catch (MalformedEventException ex) {
            throw new MalformedLineException(source(), line, ex.reason(), CsvLogReader.detail(ex));
        }
    }

    private static final class NodeRow implements RowMapper.Row {
        private final String[] keys;
        JsonNode node;

        NodeRow(List<String> keys) {
            this.keys = keys.toArray(new String[0]);
        }

        @Override
        public String text(int column) {
            JsonNode v = node.get(keys[column]);
            if (v == null || v.isNull()) {
                return null;
            }
            if (v.isContainerNode()) {
                throw new MalformedEventException(RejectReason.BAD_SYNTAX, "key '" + keys[column] + "' holds "
                        + (v.isArray() ? "an array (list it in multi=...)" : "an object") + ", expected a single value");
            }
            return v.asText();
        }

        @Override
        public List<String> values(int column, String separator) {
            JsonNode v = node.get(keys[column]);
            if (v == null || !v.isArray()) {
                return RowMapper.Row.super.values(column, separator);
            }
            List<String> out = new ArrayList<>(v.size());
            for (JsonNode e : v) {
                if (e.isContainerNode()) {
                    throw new MalformedEventException(RejectReason.BAD_SYNTAX, "key '" + keys[column] + "' holds a nested array or object");
                }
                if (!e.isNull()) {
                    out.add(e.asText());
                }
            }
            return out;
        }
    }
}
