package io.inflight.ops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.inflight.topics.ClickEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP front of a {@link ServingReplica}:
 * <ul>
 *   <li>{@code POST /score} with {@code {"features":{"site":"a","tags":["x","y"]},"numeric":{"price":3.5}}}
 *       ({@code numeric} optional) → {@code {"p":0.12,"logit":-1.9,"features":3,"rows_found":2}};</li>
 *   <li>{@code GET /status} → rows, updates applied, dense model version, freshness percentiles.</li>
 * </ul>
 * Bad requests get status 400 with the reason. Daemon threads; close it to free the port.
 */
public final class ServeEndpoint implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ServingReplica replica;

    public ServeEndpoint(String host, int port, ServingReplica replica) {
        this.replica = replica;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        server.createContext("/score", this::score);
        server.createContext("/status", this::status);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void score(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            send(ex, 405, "{\"error\":\"POST a JSON event to /score\"}");
            return;
        }
        ClickEvent event;
        try {
            event = parse(ex.getRequestBody().readNBytes(1 << 20));
        } catch (IllegalArgumentException | IOException e) {
            send(ex, 400, "{\"error\":" + JSON.writeValueAsString(String.valueOf(e.getMessage())) + "}");
            return;
        }
        ServingModel.Score s = replica.model().score(event);
        send(ex, 200, String.format(Locale.ROOT, "{\"p\":%s,\"logit\":%s,\"features\":%d,\"rows_found\":%d}",
                s.p(), s.logit(), s.features(), s.rowsFound()));
    }

    private void status(HttpExchange ex) throws IOException {
        long[] lag = replica.lagPercentiles();
        send(ex, 200, String.format(Locale.ROOT,
                "{\"rows\":%d,\"updates_applied\":%d,\"dense_version\":%d,\"last_update_ms\":%d,"
                        + "\"freshness_ms\":{\"p50\":%d,\"p99\":%d,\"max\":%d},\"healthy\":%b}",
                replica.model().rows(), replica.applied(), replica.model().denseVersion(), replica.lastUpdateTimestamp(),
                lag[0], lag[1], lag[2], replica.failure() == null));
    }

    /**
     * {@code {"features":{name: value | [values]}, "numeric":{name: number}}} → an event ({@code numeric}
     * optional; label and time are not used for scoring).
     */
    static ClickEvent parse(byte[] body) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        JsonNode features = root == null ? null : root.get("features");
        if (features == null || !features.isObject()) {
            throw new IllegalArgumentException("expected {\"features\":{...}}");
        }
        List<ClickEvent.Field> fields = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = features.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<String> values = new ArrayList<>();
            if (e.getValue().isArray()) {
                e.getValue().forEach(v -> values.add(v.asText()));
            } else if (e.getValue().isValueNode()) {
                values.add(e.getValue().asText());
            } else {
                throw new IllegalArgumentException("feature '" + e.getKey() + "' must be a value or a list of values");
            }
            fields.add(new ClickEvent.Field(e.getKey(), values));
        }
        List<ClickEvent.Numeric> numerics = new ArrayList<>();
        JsonNode numeric = root.get("numeric");
        if (numeric != null && !numeric.isNull()) {
            if (!numeric.isObject()) {
                throw new IllegalArgumentException("expected \"numeric\":{name: number, ...}");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = numeric.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().asDouble())) {
                    throw new IllegalArgumentException("numeric field '" + e.getKey() + "' must be a finite number, got "
                            + e.getValue());
                }
                numerics.add(new ClickEvent.Numeric(e.getKey(), e.getValue().asDouble()));
            }
        }
        return new ClickEvent(null, System.currentTimeMillis(), 0, fields, numerics);
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
