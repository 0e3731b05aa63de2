package io.inflight.ops.cli;

import io.inflight.ops.generate.GeneratorSpec;
import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.RowSizes;
import io.inflight.store.StoreConfig;
import io.inflight.trainer.config.BatchSettings;
import io.inflight.trainer.config.InflightConfig;
import java.util.Arrays;
import java.util.Locale;

/**
 * The settings the demo trains with unless {@code --set} (or {@code --config}) says otherwise: the
 * generator's fields, rows of four equal chunks, policy mode {@code all} with a pass every 100 batches,
 * and a byte budget that is a share of what every feature of the generated stream takes stored whole
 * at fp32.
 */
final class DemoSettings {

    static final String MODE = "all";
    static final int CHUNKS = 4;
    /** Batches between policy passes: about 90 passes over the default 300,000 events at the default batch size. */
    static final String INTERVAL_STEPS = "100";
    /** The least budget, in events' rows at fp32. */
    static final int LEAST_EVENTS = 4;

    private DemoSettings() {
    }

    /** Puts the demo's defaults for whatever the user did not set. */
    static void applyDefaults(ConfigOptions config, GeneratorSpec spec) {
        config.overrides.putIfAbsent(InflightConfig.MODEL_FIELDS, spec.fieldNames());
        config.overrides.putIfAbsent(PolicySettings.MODE, MODE);
        config.overrides.putIfAbsent(PolicySettings.INTERVAL_STEPS, INTERVAL_STEPS);
        if (config.rawConfig().containsKey(InflightConfig.STORE_CHUNKS)) {
            return;
        }
        int dim = config.resolve("127.0.0.1:9092").getInt(InflightConfig.MODEL_DIM);
        if (dim % CHUNKS == 0) {
            String[] widths = new String[CHUNKS];
            Arrays.fill(widths, Integer.toString(dim / CHUNKS));
            config.overrides.put(InflightConfig.STORE_CHUNKS, String.join(",", widths));
        }
    }

    /** Bytes of one row with every chunk at fp32, metadata included: what the table holds per feature without a policy. */
    static long fp32RowBytes(InflightConfig cfg) {
        StoreConfig store = cfg.storeConfig(cfg.batchSettings());
        ChunkLayout layout = store.layout();
        Precision[] fp32 = new Precision[layout.chunks()];
        Arrays.fill(fp32, Precision.FP32);
        int all = (1 << layout.chunks()) - 1;
        return RowSizes.valueBytes(layout, all, fp32) + RowSizes.metadataBytes(layout, all, fp32, store.rowAdagrad());
    }

    /**
     * The configuration to train with: unless a budget is set or no policy runs, the budget is
     * {@code fraction} of {@code features} rows at fp32, and at least {@value #LEAST_EVENTS} events' rows
     * at fp32 (a budget must hold one event's rows and the policies' state: a very short stream's
     * share would not).
     */
    static InflightConfig withBudget(ConfigOptions config, String bootstrap, long features, double fraction) {
        InflightConfig cfg = config.resolve(bootstrap);
        if (config.rawConfig().containsKey(PolicySettings.BUDGET_BYTES) || cfg.policySettings().mode() == PolicyMode.NONE) {
            return cfg;
        }
        long row = fp32RowBytes(cfg);
        long budget = Math.max(LEAST_EVENTS * cfg.batchSettings().slots() * row, Math.round(fraction * features * row));
        config.overrides.put(PolicySettings.BUDGET_BYTES, Long.toString(budget));
        return config.resolve(bootstrap);
    }

    /** The line announcing what is trained. */
    static String describe(InflightConfig cfg, long features) {
        BatchSettings b = cfg.batchSettings();
        PolicySettings p = cfg.policySettings();
        long full = features * fp32RowBytes(cfg);
        String budget = p.budgetBytes() == 0 ? "no byte budget"
                : String.format(Locale.ROOT, "a budget of %s = 1/%.1f of the %s that the stream's %,d features take "
                        + "at fp32", TableLine.mb(p.budgetBytes()), full / (double) p.budgetBytes(), TableLine.mb(full),
                        features);
        return String.format(Locale.ROOT, "Training %s (D=%d, batches of %d, rows of chunks %s) with policy mode %s and %s;"
                        + "%n  exactly-once Kafka Streams, model updates to %s, followed by a serving replica in this process...",
                b.modelType(), b.dim(), b.batchSize(), cfg.storeConfig(b).layout(), p.mode().configName(), budget,
                cfg.topics().modelUpdates());
    }
}
