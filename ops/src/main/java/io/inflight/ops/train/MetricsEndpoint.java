package io.inflight.ops.train;

import com.sun.net.httpserver.HttpServer;
import io.inflight.ops.status.StatusPage;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Serves a Prometheus registry at {@code http://host:port/metrics} (text format) from a small JDK
 * HTTP server with daemon threads, and a {@link StatusPage} at {@code /} once one is
 * {@linkplain #status added}. Close it to free the port.
 */
public final class MetricsEndpoint implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final HttpServer server;
    private final String host;

    public MetricsEndpoint(String host, int port) {
        this.host = host;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        });
        server.setExecutor(null);
        server.start();
    }

    /** Serves {@code page} at {@code /} of the same port. */
    public void status(StatusPage page) {
        page.mount(server);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String host() {
        return host;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        registry.close();
    }
}
