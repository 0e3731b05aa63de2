package io.inflight.trainer.config;

import static io.inflight.trainer.config.InflightConfig.MODEL_DROPOUT;
import static io.inflight.trainer.config.InflightConfig.MODEL_FIELDS;
import static io.inflight.trainer.config.InflightConfig.MODEL_NUMERIC_FIELDS;
import static io.inflight.trainer.config.InflightConfig.MODEL_TYPE;
import static io.inflight.trainer.config.InflightConfig.STORE_CHUNKS;

import io.inflight.policies.PolicyMode;
import io.inflight.policies.PolicyRunner;
import io.inflight.policies.PolicySettings;
import io.inflight.trainer.shard.ShardPolicies;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.RowSizes;
import io.inflight.store.StoreConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The checks of {@link InflightConfig#parse} across keys: numeric fields and dropout against the model
 * type, the model's fields, the chunk widths, the policy budget against the row layout, and the
 * {@code kafka.*} and {@code streams.*} settings as the Kafka clients will read them.
 */
final class ConfigChecks {

    private ConfigChecks() {
    }

    /**
     * Checks {@code config} across its keys, after each key's own validator.
     *
     * @return the settings that are allowed but probably not meant, one line each
     * @throws ConfigException naming the key and the value of the first setting that does not fit the others
     */
    static List<String> check(InflightConfig config) {
        String type = config.getString(MODEL_TYPE);
        numericFields(config, type);
        if (config.getDouble(MODEL_DROPOUT) > 0 && (type.equals("lr") || type.equals("fm"))) {
            throw new ConfigException(MODEL_DROPOUT, config.getDouble(MODEL_DROPOUT), "model type " + type
                    + " has no hidden layers; dropout applies to dnn, deepfm and dcn");
        }
        if (config.hasModelFields()) {
            BatchSettings batch;
            try {
                batch = config.batchSettings();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(MODEL_FIELDS, String.join(",", config.getList(MODEL_FIELDS)), e.getMessage());
            }
            try {
                config.storeConfig(batch);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(STORE_CHUNKS, String.join(",", config.getList(STORE_CHUNKS)), e.getMessage());
            }
        } else if (!type.equals("lr") && !type.equals("fm")) {
            throw new ConfigException(MODEL_FIELDS, "", "model type " + type + " needs the list of fields it trains on, "
                    + "e.g. " + MODEL_FIELDS + "=site,app,device");
        } else if (config.policySettings().mode() != PolicyMode.NONE) {
            throw new ConfigException(MODEL_FIELDS, "", "policy mode " + config.policySettings().mode().configName()
                    + " acts on the rows of the model's fields: set " + MODEL_FIELDS);
        }
        shards(config);
        // the settings records re-check what the validators above checked; a failure here is a bug, still reported
        // as bad configuration rather than as a stack trace at start
        try {
            config.trainerSettings();
            config.cadenceSettings();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("invalid configuration: " + e.getMessage());
        }
        List<String> warnings = budget(config);
        kafkaClients(config);
        return warnings;
    }

    /** Row shards hold the rows of one model and run only the policies of passes over stored rows. */
    private static void shards(InflightConfig config) {
        if (config.shards() == 0) {
            return;
        }
        if (!config.oneModel()) {
            throw new ConfigException(InflightConfig.TOPOLOGY_MODELS, config.getString(InflightConfig.TOPOLOGY_MODELS),
                    "row shards (" + InflightConfig.TOPOLOGY_SHARDS + "=" + config.shards() + ") serve one model: set "
                            + InflightConfig.TOPOLOGY_MODELS + "=" + InflightConfig.MODELS_ONE);
        }
        PolicyMode mode = config.policySettings().mode();
        if (!ShardPolicies.SUPPORTED.contains(mode)) {
            throw new ConfigException(PolicySettings.MODE, mode.configName(), ShardPolicies.unsupported(mode)
                    + " (" + InflightConfig.TOPOLOGY_SHARDS + "=" + config.shards() + ")");
        }
    }

    /**
     * {@value PolicySettings#BUDGET_BYTES} against the configured row layout: a pass
     * shrinks the table to {@code budget x (1 - headroom)}, so a budget whose target cannot hold the rows
     * one event touches (one new row per field, {@code rowBytes(initial chunks, initial precision)}) would
     * evict (nearly) everything at every pass. Refused when a policy runs; with mode none the budget is
     * not enforced, so it is only a warning there.
     */
    private static List<String> budget(InflightConfig config) {
        PolicySettings p = config.policySettings();
        if (p.budgetBytes() == 0) {
            return List.of();
        }
        if (p.mode() == PolicyMode.NONE) {
            return List.of(PolicySettings.BUDGET_BYTES + "=" + p.budgetBytes() + " has no effect: "
                    + PolicySettings.MODE + " is none, so no policy pass enforces it");
        }
        BatchSettings batch = config.batchSettings(); // checked above: a policy needs the model's fields
        long sharedBytes;
        try {
            sharedBytes = p.sharedRows(batch.dim()) * PolicySettings.sharedRowBytes(batch.dim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(PolicySettings.BUDGET_BYTES, p.budgetBytes(), e.getMessage());
        }
        if (p.mode() == PolicyMode.HASH) {
            return List.of(); // no row of its own: the hashed table is the budget
        }
        StoreConfig store = config.storeConfig(batch);
        ChunkLayout layout = store.layout();
        int mask = p.mode().growth() ? 1 : (1 << layout.chunks()) - 1;
        Precision[] precisions = new Precision[layout.chunks()];
        Arrays.fill(precisions, store.defaultPrecision());
        long rowBytes = RowSizes.valueBytes(layout, mask, precisions)
                + RowSizes.metadataBytes(layout, mask, precisions, store.rowAdagrad());
        long eventBytes = rowBytes * batch.slots();
        // the policies' per-feature state (sketch, ESAPN slots) and the shared rows take their share first
        long state = PolicyRunner.plannedStateBytes(p);
        double target = (p.budgetBytes() - state) * (1 - p.budgetHeadroom()) - sharedBytes;
        if (target < eventBytes) {
            long least = leastBudget(p, batch.dim(), eventBytes);
            String row = "a new row of layout " + layout + " at " + store.defaultPrecision().name().toLowerCase(Locale.ROOT)
                    + (mask == 1 && layout.chunks() > 1 ? " (one chunk, mode " + p.mode().configName() + ")" : "")
                    + " is " + rowBytes + " bytes";
            String why = p.budgetBytes() < rowBytes ? "smaller than one row: " + row
                    : String.format(Locale.ROOT, "a pass shrinks the table to budget x (1 - %s), less the shared rows' share, = %.0f bytes, "
                            + "less than the %d rows one event touches (%s), so every pass would evict (nearly) every row",
                            PolicySettings.BUDGET_HEADROOM, target,
                            batch.slots(), row);
            throw new ConfigException(PolicySettings.BUDGET_BYTES, p.budgetBytes(), why
                    + "; give at least " + least + " (or 0 for no budget)");
        }
        return List.of();
    }

    /**
     * The smallest budget whose pass target, {@code (budget - state) x (1 - headroom) - shared rows},
     * holds the rows of one event ({@code eventBytes}); the state and the shared rows grow with the
     * budget (powers of two), so it is searched upward from the bound without them (error path only).
     */
    private static long leastBudget(PolicySettings p, int dim, long eventBytes) {
        long b = (long) Math.ceil(eventBytes / (1 - p.budgetHeadroom()));
        for (long limit = 64 * b + (1L << 20); b < limit; b++) {
            PolicySettings q = p.with(PolicySettings.BUDGET_BYTES, Long.toString(b));
            double target = (b - PolicyRunner.plannedStateBytes(q)) * (1 - q.budgetHeadroom())
                    - q.sharedRows(dim) * PolicySettings.sharedRowBytes(dim);
            if (target >= eventBytes) {
                return b;
            }
        }
        return b;
    }

    /**
     * Parses the Kafka Streams and admin client settings the way the clients will, without creating
     * one (nothing is connected, no state directory is made), so that a bad {@code streams.*} or
     * {@code kafka.*} value fails at start, before any topic or broker exists.
     */
    private static void kafkaClients(InflightConfig config) {
        try {
            new StreamsConfig(config.streamsProperties(), false) { };
        } catch (ConfigException e) {
            throw new ConfigException("Kafka Streams setting (a streams.* or kafka.* key, named here without its prefix): "
                    + e.getMessage());
        }
        try {
            new AdminClientConfig(config.kafkaClientConfigs(), false) { };
        } catch (ConfigException e) {
            throw new ConfigException("Kafka client setting (a kafka.* key, named here without its prefix): "
                    + e.getMessage());
        }
    }

    /** {@value InflightConfig#MODEL_NUMERIC_FIELDS} against the model type and the categorical fields. */
    private static void numericFields(InflightConfig config, String type) {
        List<NumericField> numeric = config.numericFields();
        if (numeric.isEmpty()) {
            return;
        }
        String value = String.join(",", config.getList(MODEL_NUMERIC_FIELDS));
        if (type.equals("lr") || type.equals("fm")) {
            throw new ConfigException(MODEL_NUMERIC_FIELDS, value, "lr and fm have no dense layers, so model type " + type
                    + " cannot be fed numeric fields: use dnn, deepfm or dcn, or bucketise the numeric fields "
                    + "into categorical ones (replay --map numeric=COLUMN:log2, or --criteo-integers criteo|log2 for "
                    + "Criteo's I1..I13) and list them in " + MODEL_FIELDS);
        }
        List<String> categorical = config.getList(MODEL_FIELDS).stream().map(String::trim).toList();
        for (NumericField f : numeric) {
            if (categorical.contains(f.name())) {
                throw new ConfigException(MODEL_NUMERIC_FIELDS, value, "'" + f.name() + "' is also a categorical field in "
                        + MODEL_FIELDS + "; a field is either categorical (bucketised) or numeric");
            }
        }
    }
}
