package io.inflight.ops.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inflight.ops.serve.ServeMeters;
import io.inflight.ops.serve.ServingModel;
import io.inflight.ops.serve.ServingReplica;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.metrics.MeterCatalogue;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.BatchModels;
import io.inflight.trainer.topology.TrainerGauges;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The catalogue, the Prometheus text, the Grafana dashboard and the README's table name the same meters. */
class MeterCatalogueTest {

    private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "inflight-dashboard.json");
    private static final Path README = Path.of("..", "README.md");

    @Test
    void shouldNameEveryMeterOnceInProcessAndInPrometheus() {
        assertThat(MeterCatalogue.ALL.stream().map(MeterCatalogue.Meter::name)).doesNotHaveDuplicates();
        assertThat(PrometheusNames.catalogue()).hasSameSizeAs(MeterCatalogue.ALL);
    }

    @Test
    void shouldScrapeEveryCatalogueMeterOfTrainAndServe() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try {
            TrainerMeters meters = TrainerMeters.on(registry);
            new TrainerGauges("no-such-app", 1, 4, 1_000, meters, registry);
            BatchSettings settings = new BatchSettings("fm", List.of("a"), 4, 8, List.of(8), "relu", "adam", 1e-3, 0.1, 0,
                    0.01, 7, 0);
            ServeMeters.on(ServingReplica.detached(new ServingModel(settings, BatchModels::create)), registry);
            Set<String> scraped = PrometheusNames.samples(registry.scrape()).keySet();
            for (MeterCatalogue.Meter m : MeterCatalogue.ALL) {
                String base = PrometheusNames.of(m);
                assertThat(scraped).as(m.name() + " as " + base)
                        .anyMatch(s -> PrometheusNames.owner(s) == m && s.startsWith(base));
            }
            // nothing Inflight serves is missing from the catalogue
            assertThat(scraped.stream().filter(s -> s.startsWith("inflight_")))
                    .allMatch(s -> PrometheusNames.owner(s) != null);
        } finally {
            registry.close();
        }
    }

    @Test
    void shouldUseOnlyCatalogueMetersInTheGrafanaDashboard() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> exprs = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> exprs.add(e.asText()));
        assertThat(exprs).isNotEmpty();
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("inflight_[a-z0-9_]+").matcher(String.join("\n", exprs));
        while (m.find()) {
            used.add(m.group());
        }
        Set<String> meters = new TreeSet<>();
        for (String series : used) {
            MeterCatalogue.Meter owner = PrometheusNames.owner(series);
            assertThat(owner).as("dashboard series %s is not a catalogue meter", series).isNotNull();
            meters.add(owner.name());
        }
        // the page's plots are on the dashboard too
        assertThat(meters).contains(MeterCatalogue.AUC, MeterCatalogue.NE, MeterCatalogue.EVENTS,
                MeterCatalogue.TABLE_PRECISION_BYTES, MeterCatalogue.TABLE_BUDGET, MeterCatalogue.TABLE_ROWS,
                MeterCatalogue.FRESHNESS, MeterCatalogue.PUBLICATION_LAG);
    }

    @Test
    void shouldListEveryMeterInTheReadmesTable() throws Exception {
        String readme = Files.readString(README);
        for (MeterCatalogue.Meter m : MeterCatalogue.ALL) {
            assertThat(readme).as(m.name()).contains("| `" + PrometheusNames.of(m) + "` |");
        }
    }

    @Test
    void shouldKeepTheLastSamplesInOrder() {
        StatusSeries series = new StatusSeries(3);
        for (int i = 1; i <= 5; i++) {
            series.add(i * 1000L, i == 4 ? Map.of("a", (double) i, "b", Double.NaN) : Map.of("a", (double) i));
        }
        Map<String, Object> out = series.toMap();
        assertThat(out.get("t")).isEqualTo(List.of(3.0, 4.0, 5.0));
        Map<?, ?> cols = (Map<?, ?>) out.get("series");
        assertThat(cols.get("a")).isEqualTo(List.of(3.0, 4.0, 5.0));
        assertThat((List<?>) cols.get("b")).containsExactly(null, null, null); // NaN and missing are null in JSON
    }
}
