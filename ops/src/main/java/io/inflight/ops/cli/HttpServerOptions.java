package io.inflight.ops.cli;

import io.inflight.ops.serve.ServeEndpoint;
import io.inflight.topics.EventLimits;
import picocli.CommandLine.Option;

/**
 * How the serve endpoint's HTTP server holds its clients: worker threads, accept queue and timeouts
 * (a picocli mixin, the same for {@code serve} and {@code bench serve}).
 */
final class HttpServerOptions {

    @Option(names = "--threads", defaultValue = "" + ServeEndpoint.Options.DEFAULT_THREADS,
            description = "HTTP worker threads (bodies are read without holding one) (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--backlog", defaultValue = "" + ServeEndpoint.Options.DEFAULT_BACKLOG,
            description = "Accept queue of the listening socket, capped by the kernel's somaxconn (default: ${DEFAULT-VALUE}).")
    int backlog;

    @Option(names = "--read-timeout-ms", defaultValue = "" + ServeEndpoint.Options.DEFAULT_READ_TIMEOUT_MS,
            description = "Most time to receive a request body; then 408 and the connection is closed "
                    + "(default: ${DEFAULT-VALUE}).")
    long readTimeoutMs;

    @Option(names = "--idle-timeout-ms", defaultValue = "" + ServeEndpoint.Options.DEFAULT_IDLE_TIMEOUT_MS,
            description = "A connection silent this long is closed (default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    /** Throws naming the option of the first bad value, these and the given ones. */
    void validate(String host, int port, int maxBodyBytes) {
        ServeEndpoint.Options.validate(host, port, threads, backlog, readTimeoutMs, idleTimeoutMs, maxBodyBytes);
    }

    /** The endpoint's settings with these options. */
    ServeEndpoint.Options endpoint(String host, int port, int maxBodyBytes, EventLimits limits) {
        return new ServeEndpoint.Options(host, port, threads, backlog, readTimeoutMs, idleTimeoutMs, maxBodyBytes, limits);
    }
}
