package io.inflight.ops.cli;

import io.inflight.ops.train.MetricsEndpoint;
import picocli.CommandLine.Option;

/** {@code --metrics-port} and {@code --metrics-address}: Prometheus text at /metrics and the status page at /. */
final class MetricsOptions {

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://ADDRESS:PORT/metrics and a status page with live plots at "
                    + "http://ADDRESS:PORT/ (0: any free port; default: off).")
    Integer port;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1", paramLabel = "ADDRESS",
            description = "Address the metrics port binds to (default: ${DEFAULT-VALUE}, this machine only; "
                    + "0.0.0.0: every interface).")
    String address;

    /** Fails naming the option when the port is out of range or the address is blank. */
    void validate() {
        if (port != null) {
            StartChecks.port("--metrics-port", port);
        }
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("--metrics-address must name an address, got '" + address + "'");
        }
    }

    /** The endpoint, bound now (a port in use fails here), or null without --metrics-port. */
    MetricsEndpoint open() {
        return port == null ? null : new MetricsEndpoint(address, port);
    }

    /** Where the endpoint serves, for the start message. */
    static String describe(MetricsEndpoint endpoint) {
        String base = "http://" + endpoint.host() + ":" + endpoint.port();
        return "Metrics at " + base + "/metrics, status page at " + base + "/";
    }
}
