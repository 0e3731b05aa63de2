package io.inflight.ops.status;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The status page of {@code train} or {@code serve}: {@code /} (a page that plots the series),
 * {@code /status.json} (the series, the configuration and the last policy passes) and the vendored
 * charting script, uPlot (MIT, its licence at {@code /uPlot-LICENSE.txt}), all from the jar: the page
 * fetches nothing from elsewhere.
 */
public final class StatusPage {

    /** Files served from this package's resources, by path. */
    private static final Map<String, String> FILES = Map.of(
            "/", "text/html; charset=utf-8",
            "/uPlot.iife.min.js", "text/javascript; charset=utf-8",
            "/uPlot.min.css", "text/css; charset=utf-8",
            "/uPlot-LICENSE.txt", "text/plain; charset=utf-8");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String kind;
    private final Map<String, ?> config;
    private final Supplier<List<?>> passes;
    private final StatusSeries series = new StatusSeries();

    /**
     * @param kind   {@code train} or {@code serve}: which plots the page draws
     * @param config the settings shown on the page
     * @param passes the last policy passes, oldest first (empty for serve)
     */
    public StatusPage(String kind, Map<String, ?> config, Supplier<List<?>> passes) {
        this.kind = kind;
        this.config = new TreeMap<>(config);
        this.passes = passes;
    }

    public StatusSeries series() {
        return series;
    }

    /** What {@code /status.json} answers. */
    public byte[] json() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.put("config", config);
        out.put("passes", passes.get());
        out.putAll(series.toMap());
        try {
            return JSON.writeValueAsBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds the page's paths to {@code server} (its {@code /metrics} stays as it is). */
    public void mount(HttpServer server) {
        server.createContext("/status.json", ex -> send(ex, 200, "application/json", json()));
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            String type = FILES.get(path);
            if (type == null) {
                send(ex, 404, "text/plain; charset=utf-8", ("no such path " + path
                        + " (/, /status.json, /metrics)").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } else {
                send(ex, 200, type, resource(path.equals("/") ? "status.html" : path.substring(1)));
            }
        });
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = StatusPage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.getResponseHeaders().add("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }
}
