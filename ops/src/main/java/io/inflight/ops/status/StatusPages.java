package io.inflight.ops.status;

import io.inflight.ops.serve.ServeMeters;
import io.inflight.ops.train.MetricsEndpoint;
import io.inflight.ops.train.TrainerApp;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The status pages of {@code train} and {@code serve} on their metrics endpoint, with their samplers. */
public final class StatusPages {

    /** Time between samples of the series the pages plot (the pages refresh every 3 s). */
    public static final Duration INTERVAL = Duration.ofSeconds(3);
    /** How long a sample waits for the trainer's tasks. */
    private static final Duration TASKS_TIMEOUT = Duration.ofSeconds(10);

    private StatusPages() {
    }

    /** The trainer's page on {@code endpoint}, sampled every {@code interval}; close the sampler to stop. */
    public static StatusSampler train(MetricsEndpoint endpoint, TrainerApp app, Map<String, ?> config, Duration interval) {
        StatusPage page = new StatusPage("train", config, () -> List.copyOf(app.meters().recentPasses()));
        endpoint.status(page);
        return new StatusSampler(interval, () -> app.gauges().sample(TASKS_TIMEOUT), page.series());
    }

    /** A serving replica's page on {@code endpoint}, sampled every {@code interval}; close the sampler to stop. */
    public static StatusSampler serve(MetricsEndpoint endpoint, ServeMeters meters, Map<String, ?> config, Duration interval) {
        StatusPage page = new StatusPage("serve", config, List::of);
        endpoint.status(page);
        return new StatusSampler(interval, meters::sample, page.series());
    }
}
