package io.inflight.ops.status;

import io.inflight.trainer.metrics.MeterCatalogue;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** The catalogue's meters as Prometheus names, and the metric names of a scrape. */
final class PrometheusNames {

    private static final PrometheusNamingConvention CONVENTION = new PrometheusNamingConvention();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)", Pattern.MULTILINE);

    private PrometheusNames() {
    }

    /** The Prometheus base name of {@code m} (without the {@code _total}, {@code _count}, ... of its samples). */
    static String of(MeterCatalogue.Meter m) {
        Meter.Type type = switch (m.type()) {
            case COUNTER -> Meter.Type.COUNTER;
            case GAUGE -> Meter.Type.GAUGE;
            case TIMER -> Meter.Type.TIMER;
            case SUMMARY -> Meter.Type.DISTRIBUTION_SUMMARY;
        };
        return CONVENTION.name(m.name(), type, m.unit().isEmpty() ? null : m.unit());
    }

    /** The catalogue meters by Prometheus base name. */
    static Map<String, MeterCatalogue.Meter> catalogue() {
        return MeterCatalogue.ALL.stream().collect(Collectors.toMap(PrometheusNames::of, m -> m));
    }

    /** The catalogue meter whose samples include {@code series} (e.g. {@code x_seconds_bucket} of timer x), or null. */
    static MeterCatalogue.Meter owner(String series) {
        for (Map.Entry<String, MeterCatalogue.Meter> e : catalogue().entrySet()) {
            for (String suffix : List.of("", "_total", "_count", "_sum", "_max", "_bucket")) {
                if (series.equals(e.getKey() + suffix)) {
                    return e.getValue();
                }
            }
        }
        return null;
    }

    /** Sample values of {@code scrape} by series name (labels dropped; the last sample of a name wins). */
    static Map<String, Double> samples(String scrape) {
        Map<String, Double> out = new java.util.TreeMap<>();
        Matcher m = SAMPLE.matcher(scrape);
        while (m.find()) {
            String v = m.group(3);
            out.put(m.group(1), v.matches("[-+0-9.eE]+") ? Double.parseDouble(v) : Double.NaN);
        }
        return out;
    }
}
