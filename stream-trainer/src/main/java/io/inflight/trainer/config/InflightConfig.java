package io.inflight.trainer.config;

import io.inflight.policies.ConfigValidators.FiniteRange;
import io.inflight.policies.PolicySettings;
import io.inflight.policies.Precision;
import io.inflight.store.ChunkLayout;
import io.inflight.store.StoreConfig;
import io.inflight.topics.EventLimits;
import io.inflight.topics.TopicCatalogue;
import io.inflight.trainer.train.BatchTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Inflight's configuration: one flat map of keys in three namespaces.
 *
 * <ul>
 *   <li>{@code inflight.*}: Inflight's own keys, declared in {@link #DEF} with a default, a validator
 *       and a doc string. An unknown {@code inflight.*} key or an invalid value fails at start with a
 *       {@link ConfigException} naming the key and the value.</li>
 *   <li>{@code kafka.*}: passed unchanged (prefix removed) to every Kafka client Inflight creates:
 *       producers, consumers, admin and Streams. Security settings (SASL/SSL) go here.
 *       {@code kafka.bootstrap.servers} is required.</li>
 *   <li>{@code streams.*}: passed unchanged (prefix removed) to Kafka Streams only, after the
 *       defaults below, so they win.</li>
 * </ul>
 * Any other key is rejected, so a mistyped prefix does not silently do nothing.
 * Immutable and thread-safe.
 */
public final class InflightConfig extends AbstractConfig {

    /** The main consumer's {@code session.timeout.ms} unless set: how long a killed instance holds its tasks. */
    public static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    public static final String KAFKA_PREFIX = "kafka.";
    public static final String STREAMS_PREFIX = "streams.";
    public static final String INFLIGHT_PREFIX = "inflight.";
    public static final String BOOTSTRAP_SERVERS = KAFKA_PREFIX + "bootstrap.servers";

    public static final String TOPIC_PREFIX = "inflight.topic.prefix";
    public static final String TOPIC_PARTITIONS = "inflight.topic.partitions";
    public static final String TOPIC_REPLICATION = "inflight.topic.replication.factor";
    public static final String TOPOLOGY_MODELS = "inflight.topology.models";
    /** {@value #TOPOLOGY_MODELS}: one model for the application, whatever the clicks topic's partition count. */
    public static final String MODELS_ONE = "one";
    /** {@value #TOPOLOGY_MODELS}: one model replica per clicks partition (the behaviour before issue 16). */
    public static final String MODELS_PER_PARTITION = "per-partition";
    /** Row shards (issue 16): 0 keeps the rows in the trainer task; S &gt; 0 puts them in S shard tasks. */
    public static final String TOPOLOGY_SHARDS = "inflight.topology.shards";
    /** Batches a trainer may have waiting for its rows from the shards. */
    public static final String TOPOLOGY_SHARD_WINDOW = "inflight.topology.shard.window";
    /** Rows the trainer's window cache keeps (beyond those the last W batches updated). */
    public static final String TOPOLOGY_SHARD_CACHE_ROWS = "inflight.topology.shard.cache.rows";
    public static final String APPLICATION_ID = "inflight.application.id";
    public static final String STATE_DIR = "inflight.state.dir";
    public static final String INSTANCE_ID = "inflight.instance.id";
    public static final String MODEL_TYPE = "inflight.model.type";
    public static final String MODEL_DIM = "inflight.model.dim";
    public static final String MODEL_FIELDS = "inflight.model.fields";
    public static final String MODEL_NUMERIC_FIELDS = "inflight.model.numeric.fields";
    public static final String MODEL_HIDDEN = "inflight.model.hidden";
    public static final String MODEL_ACTIVATION = "inflight.model.activation";
    public static final String MODEL_DROPOUT = "inflight.model.dropout";
    public static final String OPTIMIZER = "inflight.model.optimizer";
    public static final String DENSE_LEARNING_RATE = "inflight.model.dense.learning.rate";
    public static final String BATCH_SIZE = "inflight.train.batch.size";
    public static final String PUBLISH_EVERY = "inflight.publish.every.batches";
    public static final String LEARNING_RATE = "inflight.model.learning.rate";
    public static final String L2 = "inflight.model.l2";
    public static final String INIT_STDDEV = "inflight.model.init.stddev";
    public static final String SEED = "inflight.seed";
    public static final String AUC_BINS = "inflight.metrics.auc.bins";
    public static final String PREDICTIONS_ENABLED = "inflight.predictions.enabled";
    public static final String INPUT_FORMAT = "inflight.input.format";
    public static final String STORE_CHUNKS = "inflight.store.chunks";
    public static final String STORE_PRECISION = "inflight.store.precision";
    public static final String STORE_HOT_ROWS = "inflight.store.hot.rows";
    public static final String STORE_ADAGRAD_PER_ROW = "inflight.store.adagrad.per.row";
    public static final String CHECKPOINT_INTERVAL_MS = "inflight.checkpoint.interval.ms";
    public static final String CHECKPOINT_MAX_BYTES = "inflight.checkpoint.max.bytes";
    public static final String THREAD_RESTARTS = "inflight.recovery.thread.restarts";
    public static final String THREAD_RESTARTS_WINDOW_MS = "inflight.recovery.thread.restarts.window.ms";
    public static final String PUBLISH_INTERVAL_MS = "inflight.publish.interval.ms";
    public static final String GATE_AUC_DROP = "inflight.publish.gate.auc.drop";
    public static final String GATE_NE_RISE = "inflight.publish.gate.ne.rise";
    public static final String GATE_MIN_EVENTS = "inflight.publish.gate.min.events";
    public static final String WINDOW_EVENTS = "inflight.metrics.window.events";
    public static final String MAX_FEATURES = "inflight.limits.max.features";
    public static final String MAX_STRING_BYTES = "inflight.limits.max.string.bytes";
    public static final String MAX_FUTURE_SKEW_MS = "inflight.limits.max.future.skew.ms";

    /** Default of {@value #BATCH_SIZE}: measured on the demo's stream (README, "Choosing the batch size"). */
    public static final int DEFAULT_BATCH_SIZE = 32;

    public static final ConfigDef DEF = new ConfigDef()
            .define(TOPIC_PREFIX, Type.STRING, "inflight", new KeyValidators.TopicPrefixValidator(), Importance.HIGH,
                    "Prefix of every topic name: <prefix>.clicks, <prefix>.model-updates, <prefix>.dead-letter, <prefix>.predictions.")
            .define(TOPIC_PARTITIONS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                    "Partitions of topics Inflight creates (an existing clicks topic keeps its own count: the trainer reads it "
                            + "at start). With inflight.topology.models=one all of them train one model.")
            .define(TOPIC_REPLICATION, Type.SHORT, (short) 1, Range.atLeast(1), Importance.MEDIUM,
                    "Replication factor of topics Inflight creates.")
            .define(TOPOLOGY_MODELS, Type.STRING, MODELS_ONE, ValidString.in(MODELS_ONE, MODELS_PER_PARTITION),
                    Importance.HIGH, "one: the application trains one model from every clicks partition (with more than "
                            + "one partition, an intake task per partition validates and dead-letters, and forwards the "
                            + "valid records through a one-partition repartition topic to a single trainer task; with one "
                            + "partition, the direct topology). per-partition: each clicks partition trains its own model "
                            + "replica, published under its partition number (serve --model N). The partition count is "
                            + "read at start: after partitions are added, restart the trainer.")
            .define(TOPOLOGY_SHARDS, Type.INT, 0, Range.between(0, 1024), Importance.MEDIUM,
                    "Row shards: 0 (the default) keeps every embedding row in the trainer task; S > 0 moves the rows to S "
                            + "shard tasks (a row belongs to the shard its key hashes to; each has its own store, changelog "
                            + "and standbys, and may run on another instance), reached by one request and one reply per "
                            + "batch and shard through internal topics. Needs inflight.policy.mode=none and "
                            + "inflight.topology.models=one; nothing is published to model-updates yet. Keep it for the "
                            + "life of an application.")
            .define(TOPOLOGY_SHARD_WINDOW, Type.INT, 32, Range.between(1, 256), Importance.LOW,
                    "With row shards: how many batches may wait for their rows (a round trip through the broker takes "
                            + "about two commit intervals, so W batches overlap W round trips). Reads are exact whatever W: "
                            + "the trainer keeps the rows it updated in the last W batches (its window cache) and applies "
                            + "every update there as the shard does.")
            .define(TOPOLOGY_SHARD_CACHE_ROWS, Type.LONG, 65_536L, Range.between(0, 1L << 22), Importance.LOW,
                    "With row shards: rows the trainer's window cache keeps, least recently updated dropped first; the "
                            + "rows the last inflight.topology.shard.window batches updated are kept whatever this says. "
                            + "It bounds what the trainer holds of the table; it does not change the model.")
            .define(APPLICATION_ID, Type.STRING, "inflight-trainer", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka Streams application.id: instances with the same id share the work.")
            .define(INSTANCE_ID, Type.STRING, "", Importance.MEDIUM,
                    "Stable name of this instance (e.g. the pod name). When set, the instance is a static member of "
                            + "the consumer group: after a crash or restart it takes its partitions back at once instead of "
                            + "waiting for the session timeout. Each instance needs its own value.")
            .define(STATE_DIR, Type.STRING, ".inflight/state", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Directory of the local state stores (RocksDB).")
            .define(MODEL_TYPE, Type.STRING, "fm", ValidString.in("lr", "fm", "dnn", "deepfm", "dcn"), Importance.HIGH,
                    "Model: lr, fm, dnn, deepfm or dcn, trained in mini-batches over the fields of "
                            + "inflight.model.fields.")
            .define(MODEL_FIELDS, Type.LIST, "", Importance.HIGH,
                    "Categorical fields the model sees, in order (one embedding slot each; a field an event lacks "
                            + "reads as zeros, a field not listed is ignored). Required to train: train fails at start "
                            + "without it; demo sets the generator's fields f0, f1, ...")
            .define(MODEL_NUMERIC_FIELDS, Type.LIST, "", new KeyValidators.NumericFieldList(), Importance.MEDIUM,
                    "Numeric fields fed to the dense layers of dnn, deepfm and dcn, appended to the embeddings in this "
                            + "order: name (signed log, sign(x)*ln(1+|x|)), name:log (the same) or name:none (the raw "
                            + "value). An event without the field feeds 0. lr and fm have no dense layers: bucketise "
                            + "numeric fields into categorical ones for them.")
            .define(MODEL_HIDDEN, Type.LIST, "400,400", new KeyValidators.PositiveIntList(), Importance.MEDIUM,
                    "Hidden layer sizes of the MLP parts (dnn, deepfm, dcn).")
            .define(MODEL_ACTIVATION, Type.STRING, "relu", ValidString.in("relu", "tanh"), Importance.LOW,
                    "Activation of the hidden layers.")
            .define(MODEL_DROPOUT, Type.DOUBLE, 0.0, FiniteRange.between(0.0, 0.99), Importance.LOW,
                    "Dropout rate of the MLP's hidden units while training (dnn, deepfm, dcn); 0 = off. Events are "
                            + "scored by the whole network; the masks are drawn from the seed and the step, so replays "
                            + "are identical.")
            .define(OPTIMIZER, Type.STRING, "adam", ValidString.in("adam", "adagrad"), Importance.MEDIUM,
                    "Optimizer of the dense parameters.")
            .define(DENSE_LEARNING_RATE, Type.DOUBLE, null, KeyValidators.optional(FiniteRange.between(1e-9, 10.0)),
                    Importance.MEDIUM, "Learning rate of the dense optimizer. Default per model type: "
                            + ModelDefaults.describe(true) + ".")
            .define(BATCH_SIZE, Type.INT, DEFAULT_BATCH_SIZE, Range.between(1, 65_536), Importance.HIGH,
                    "Events per mini-batch (cut by count, so identical on every run). The default suits lr and fm; "
                            + "the deep models train faster per event in larger batches (e.g. 256).")
            .define(PUBLISH_EVERY, Type.INT, 0, Range.between(0, 1_000_000), Importance.LOW,
                    "Also publish changed rows and the dense parameters to model-updates every this many batches "
                            + "(mini-batch trainer); 0: only by time (" + "inflight.publish.interval.ms).")
            .define(GATE_AUC_DROP, Type.DOUBLE, 0.0, FiniteRange.between(0.0, 1.0), Importance.LOW,
                    "Quality gate: hold model-updates while the window AUC is more than this below the stream AUC "
                            + "(every event so far), release them when it is back within; 0: no AUC gate.")
            .define(GATE_NE_RISE, Type.DOUBLE, 0.0, FiniteRange.between(0.0, 10.0), Importance.LOW,
                    "Quality gate: hold model-updates while the window NE is more than this above the stream NE; "
                            + "0: no NE gate.")
            .define(GATE_MIN_EVENTS, Type.LONG, 1_000L, Range.atLeast(1), Importance.LOW,
                    "Quality gate: events the window must hold before the gate judges.")
            .define(PUBLISH_INTERVAL_MS, Type.LONG, CadenceSettings.DEFAULT_PUBLISH_INTERVAL_MS, Range.atLeast(0),
                    Importance.MEDIUM, "Publish the rows changed since the last publication and the dense parameters "
                            + "to model-updates this often (wall clock) while batches are trained (mini-batch trainer), "
                            + "so serving replicas are this fresh plus a commit. 0: only every "
                            + "inflight.publish.every.batches batches.")
            .define(MODEL_DIM, Type.INT, 8, Range.between(1, 256), Importance.HIGH,
                    "Embedding dimension D of the factorization machine.")
            .define(LEARNING_RATE, Type.DOUBLE, null, KeyValidators.optional(FiniteRange.between(1e-9, 10.0)),
                    Importance.HIGH, "Adagrad learning rate of the embedding rows and first-order weights. Default "
                            + "per model type: " + ModelDefaults.describe(false) + ".")
            .define(L2, Type.DOUBLE, 1e-6, FiniteRange.between(0.0, 1.0), Importance.MEDIUM,
                    "L2 regularisation applied to the rows an event touches.")
            .define(INIT_STDDEV, Type.DOUBLE, 0.01, FiniteRange.between(0.0, 1.0), Importance.LOW,
                    "Standard deviation of the initial embedding values.")
            .define(SEED, Type.LONG, 42L, Importance.MEDIUM,
                    "Seed of every random number the trainer draws (counter-based, so replays are bit-identical).")
            .define(AUC_BINS, Type.INT, 4096, Range.between(64, 1 << 20), Importance.LOW,
                    "Bins of the logit histogram behind the progressive AUC.")
            .define(WINDOW_EVENTS, Type.LONG, TrainerSettings.DEFAULT_WINDOW, Range.atLeast(10), Importance.LOW,
                    "Events in the sliding window of the recent AUC and log-loss.")
            .define(STORE_CHUNKS, Type.LIST, "", Importance.MEDIUM,
                    "Chunk widths of an embedding row, summing to inflight.model.dim, e.g. 8,8 or 2,2,4,8 (mini-batch "
                            + "trainer). Empty: one chunk of the whole dimension.")
            .define(STORE_PRECISION, Type.STRING, "fp32", ValidString.in("fp32", "fp16", "bf16", "int8", "int4", "int2"),
                    Importance.MEDIUM, "Precision new rows are stored at (mini-batch trainer); int* use stochastic rounding.")
            .define(STORE_HOT_ROWS, Type.INT, 1 << 20, Range.between(1, 1 << 28), Importance.MEDIUM,
                    "Rows per task kept in the in-memory hot tier; colder rows live in RocksDB (mini-batch trainer).")
            .define(STORE_ADAGRAD_PER_ROW, Type.BOOLEAN, true, Importance.LOW,
                    "One Adagrad accumulator per embedding row (row-wise Adagrad, as FBGEMM and AdaEmbed use: the mean "
                            + "squared gradient over the row's stored dimensions), 4 bytes a row; false: one per chunk, "
                            + "4 bytes a chunk. Measured: the same or higher AUC in fewer bytes (README, bench compression).")
            .define(CHECKPOINT_INTERVAL_MS, Type.LONG, CadenceSettings.DEFAULT_CHECKPOINT_INTERVAL_MS, Range.atLeast(0),
                    Importance.MEDIUM, "Mini-batch trainer: rows and dense parameters are made durable at the first commit "
                            + "this long after the last checkpoint; in between each commit writes only a journal of the "
                            + "events applied, re-applied after a crash (restarts re-do up to one interval of training). "
                            + "0: at every commit.")
            .define(CHECKPOINT_MAX_BYTES, Type.LONG, CadenceSettings.DEFAULT_CHECKPOINT_MAX_BYTES, Range.atLeast(1),
                    Importance.LOW, "Mini-batch trainer: checkpoint early once the journal and the rows waiting for the "
                            + "next checkpoint hold this many bytes of memory.")
            .define(THREAD_RESTARTS, Type.INT, 3, Range.between(0, 1000), Importance.MEDIUM,
                    "A Streams thread that fails (Kafka, a state store, the disk: a record's own fault is dead-lettered "
                            + "instead) is replaced and its tasks resume from their last commit (exactly-once: the open "
                            + "transaction is aborted), at most this many times within " + THREAD_RESTARTS_WINDOW_MS
                            + "; a failure beyond that stops the instance. 0 = stop at the first failure.")
            .define(THREAD_RESTARTS_WINDOW_MS, Type.LONG, 600_000L, Range.between(1_000L, 86_400_000L), Importance.LOW,
                    "The window over which " + THREAD_RESTARTS + " counts failed Streams threads.")
            .define(INPUT_FORMAT, Type.STRING, "binary", ValidString.in("binary", "json"), Importance.MEDIUM,
                    "Wire format of the clicks topic: binary (compact, versioned; what replay and generate write) "
                            + "or json (one JSON object per record, for topics written by hand).")
            .define(PREDICTIONS_ENABLED, Type.BOOLEAN, false, Importance.LOW,
                    "Write each event's pre-learning score to the predictions topic.")
            .define(MAX_FEATURES, Type.INT, EventLimits.DEFAULTS.maxFeatures(), Range.between(1, 1_000_000), Importance.LOW,
                    "Most categorical values in one event; more is dead-lettered.")
            .define(MAX_STRING_BYTES, Type.INT, EventLimits.DEFAULTS.maxStringBytes(), Range.between(1, 1 << 20), Importance.LOW,
                    "Most UTF-8 bytes in one field name or value; more is dead-lettered.")
            .define(MAX_FUTURE_SKEW_MS, Type.LONG, EventLimits.DEFAULTS.maxFutureSkewMs(), Range.atLeast(0), Importance.LOW,
                    "How far in the future an event time may lie; further is dead-lettered.");

    /** Prefix of the policy keys, validated by {@link PolicySettings}. */
    public static final String POLICY_PREFIX = PolicySettings.PREFIX;

    private final Map<String, String> kafka;
    private final Map<String, String> streams;
    private final PolicySettings policy;
    private final List<String> warnings = new ArrayList<>();

    private InflightConfig(Map<String, String> inflight, Map<String, String> kafka, Map<String, String> streams,
                           PolicySettings policy) {
        super(DEF, inflight, false);
        this.kafka = Map.copyOf(kafka);
        this.streams = Map.copyOf(streams);
        this.policy = policy;
    }

    /**
     * Validates and splits a flat key/value map (a properties file plus overrides).
     *
     * @throws ConfigException naming the key and the value for an unknown key, an invalid value, or
     *                         a missing {@value #BOOTSTRAP_SERVERS}
     */
    public static InflightConfig parse(Map<String, String> all) {
        Map<String, String> inflight = new TreeMap<>();
        Map<String, String> kafka = new TreeMap<>();
        Map<String, String> streams = new TreeMap<>();
        // The trainer runs no policy unless asked (the policies module's own default is "all").
        Map<String, String> policy = new TreeMap<>(Map.of(PolicySettings.MODE, "none"));
        for (Map.Entry<String, String> e : new TreeMap<>(all).entrySet()) {
            String key = e.getKey().trim();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (key.startsWith(POLICY_PREFIX)) {
                policy.put(key, value);
            } else if (key.startsWith(INFLIGHT_PREFIX)) {
                if (!DEF.names().contains(key)) {
                    throw new ConfigException("Unknown configuration key '" + key + "' (value '" + value
                            + "'). Known inflight.* keys: " + new TreeSet<>(DEF.names()));
                }
                inflight.put(key, value);
            } else if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), value);
            } else if (key.startsWith(STREAMS_PREFIX) && key.length() > STREAMS_PREFIX.length()) {
                streams.put(key.substring(STREAMS_PREFIX.length()), value);
            } else {
                throw new ConfigException("Unknown configuration key '" + key + "' (value '" + value
                        + "'): keys start with inflight. (Inflight), kafka. (every Kafka client) or streams. (Kafka Streams)");
            }
        }
        String bootstrap = kafka.get("bootstrap.servers");
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new ConfigException("Missing required configuration \"" + BOOTSTRAP_SERVERS
                    + "\" (give --bootstrap-servers, or omit it to use the embedded broker)");
        }
        PolicySettings policySettings = PolicySettings.fromMap(policy);
        InflightConfig config = new InflightConfig(inflight, kafka, streams, policySettings);
        config.warnings.addAll(ConfigChecks.check(config));
        return config;
    }

    /** Settings that are allowed but probably not meant (e.g. a budget no policy enforces), one line each. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }


    /** The parsed {@value #MODEL_NUMERIC_FIELDS} (empty by default). */
    public List<NumericField> numericFields() {
        return NumericField.parseList(getList(MODEL_NUMERIC_FIELDS));
    }

    /** Whether {@value #MODEL_FIELDS} names at least one field (needed to train or serve, not to produce events). */
    public boolean hasModelFields() {
        return !modelFields().isEmpty();
    }

    private List<String> modelFields() {
        return getList(MODEL_FIELDS).stream().map(String::trim).filter(f -> !f.isEmpty()).toList();
    }

    /**
     * The trainer's settings (model, fields, batch, optimizers).
     *
     * @throws ConfigException naming {@value #MODEL_FIELDS} when it is not set: the trainer learns one
     *                         embedding slot per listed field, and there is no honest way to guess them
     *                         from a stream that has not been read yet
     */
    public BatchSettings batchSettings() {
        List<String> fields = modelFields();
        if (fields.isEmpty()) {
            throw new ConfigException(MODEL_FIELDS, "", "training needs the categorical fields of the events, one "
                    + "embedding slot each, e.g. " + MODEL_FIELDS + "=site,app,device (the generator's and the demo's "
                    + "are f0,f1,...,f7)");
        }
        return new BatchSettings(getString(MODEL_TYPE), fields, numericFields(), getInt(MODEL_DIM),
                getInt(BATCH_SIZE),
                getList(MODEL_HIDDEN).stream().map(x -> Integer.parseInt(x.trim())).toList(), getString(MODEL_ACTIVATION),
                getString(OPTIMIZER), denseLearningRate(), embeddingLearningRate(), getDouble(L2),
                getDouble(INIT_STDDEV), getLong(SEED), getInt(PUBLISH_EVERY), getDouble(MODEL_DROPOUT));
    }

    /** {@value #LEARNING_RATE}, or the model type's default ({@link ModelDefaults}). */
    public double embeddingLearningRate() {
        Double set = getDouble(LEARNING_RATE);
        return set != null ? set : ModelDefaults.of(getString(MODEL_TYPE)).embedding();
    }

    /** {@value #DENSE_LEARNING_RATE}, or the model type's default ({@link ModelDefaults}). */
    public double denseLearningRate() {
        Double set = getDouble(DENSE_LEARNING_RATE);
        return set != null ? set : ModelDefaults.of(getString(MODEL_TYPE)).dense();
    }

    /**
     * When the mini-batch trainer checkpoints ({@value #CHECKPOINT_INTERVAL_MS}, {@value #CHECKPOINT_MAX_BYTES})
     * and publishes ({@value #PUBLISH_INTERVAL_MS}).
     */
    public CadenceSettings cadenceSettings() {
        GateSettings gate = new GateSettings(getDouble(GATE_AUC_DROP), getDouble(GATE_NE_RISE), getLong(GATE_MIN_EVENTS));
        return new CadenceSettings(getLong(CHECKPOINT_INTERVAL_MS), getLong(CHECKPOINT_MAX_BYTES),
                getLong(PUBLISH_INTERVAL_MS), gate.enabled() ? gate : GateSettings.OFF); // a gate that is off has no settings
    }

    /** The validated {@value #POLICY_PREFIX}* settings (mode none unless configured). */
    public PolicySettings policySettings() {
        return policy;
    }

    /** The embedding store of the mini-batch trainer: {@code batch}'s optimizer settings, the store.* keys. */
    public StoreConfig storeConfig(BatchSettings batch) {
        StoreConfig full = BatchTrainer.fullPrecision(batch, getInt(STORE_HOT_ROWS));
        List<String> widths = getList(STORE_CHUNKS).stream().map(String::trim).filter(w -> !w.isEmpty()).toList();
        ChunkLayout layout = widths.isEmpty() ? full.layout()
                : ChunkLayout.parse(String.join(",", widths));
        if (layout.dim() != batch.dim()) {
            throw new IllegalArgumentException("chunk widths " + widths + " sum to " + layout.dim() + ", not to "
                    + MODEL_DIM + " = " + batch.dim());
        }
        // with the precision policy on, new rows start at the ladder's floor
        Precision precision = policy.mode().precision() ? policy.initialPrecision()
                : Precision.valueOf(getString(STORE_PRECISION).toUpperCase(Locale.ROOT));
        return new StoreConfig(layout, precision, full.hotCapacity(), full.seed(), full.learningRate(),
                full.l2(), full.adagradEps(), policy.utilityRule(), full.newRowInit(), full.initScale(),
                getBoolean(STORE_ADAGRAD_PER_ROW));
    }

    /** Client configs shared by every Kafka client (the {@code kafka.*} keys without prefix). */
    public Map<String, Object> kafkaClientConfigs() {
        return new TreeMap<>(kafka);
    }

    public String bootstrapServers() {
        return kafka.get("bootstrap.servers");
    }

    /** {@value #TOPOLOGY_SHARDS}: 0 for rows in the trainer task. */
    public int shards() {
        return getInt(TOPOLOGY_SHARDS);
    }

    /** {@value #TOPOLOGY_SHARD_CACHE_ROWS}. */
    public long shardCacheRows() {
        return getLong(TOPOLOGY_SHARD_CACHE_ROWS);
    }

    /** {@value #TOPOLOGY_SHARD_WINDOW}. */
    public int shardWindow() {
        return getInt(TOPOLOGY_SHARD_WINDOW);
    }

    /** Whether {@value #TOPOLOGY_MODELS} is {@value #MODELS_ONE}. */
    public boolean oneModel() {
        return getString(TOPOLOGY_MODELS).equals(MODELS_ONE);
    }

    public TopicCatalogue topics() {
        return new TopicCatalogue(getString(TOPIC_PREFIX), getInt(TOPIC_PARTITIONS), getShort(TOPIC_REPLICATION));
    }

    public EventLimits limits() {
        return new EventLimits(getInt(MAX_FEATURES), getInt(MAX_STRING_BYTES), getLong(MAX_FUTURE_SKEW_MS), 0L);
    }

    public TrainerSettings trainerSettings() {
        return new TrainerSettings(getString(MODEL_TYPE), getInt(MODEL_DIM), embeddingLearningRate(), getDouble(L2),
                getDouble(INIT_STDDEV), getLong(SEED), getInt(AUC_BINS), getBoolean(PREDICTIONS_ENABLED), limits(),
                getLong(WINDOW_EVENTS), getString(INPUT_FORMAT));
    }

    /**
     * Kafka Streams properties: Inflight's defaults (exactly_once_v2, byte-array serdes, the state
     * directory, the application id), then {@code kafka.*}, then {@code streams.*}, later winning.
     */
    public Properties streamsProperties() {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class.getName());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(256L << 20));
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        // Kafka 5.0's default, set now so Streams does not warn at every start.
        p.put("processing.exception.handler.global.enabled", "true");
        String instance = getString(INSTANCE_ID).trim();
        if (!instance.isEmpty()) {
            // Streams appends the thread index to make one static member per stream thread.
            p.put(StreamsConfig.mainConsumerPrefix("group.instance.id"), instance);
        }
        p.putAll(kafka);
        p.putAll(streams);
        // Failover: a member killed without leaving holds its tasks until the group's session
        // timeout passes; the consumer's 45 s default is most of the time another instance takes
        // 45 s to resume (bench scale). Heartbeats come from the consumer's own thread, so 10 s is
        // only missed by a process stalled that long. Only where nobody set it.
        String session = "session.timeout.ms";
        defaultUnlessSet(p, StreamsConfig.mainConsumerPrefix(session), Integer.toString(DEFAULT_SESSION_TIMEOUT_MS),
                session, StreamsConfig.consumerPrefix(session));
        // The trainer sends bursts (a publication is one record per changed row): larger producer
        // batches cost the producer and the broker less per record. lz4 halves what every input byte
        // costs again on the broker (the journal, the events topic): 158 -> 67 and 170 -> 76 bytes per
        // generated event, LR through the pipeline 2-9% faster, DeepFM the same. Only where nobody set them.
        defaultUnlessSet(p, StreamsConfig.producerPrefix("batch.size"), "262144", "batch.size");
        defaultUnlessSet(p, StreamsConfig.producerPrefix("linger.ms"), "10", "linger.ms");
        defaultUnlessSet(p, StreamsConfig.producerPrefix("compression.type"), "lz4", "compression.type");
        return p;
    }

    /**
     * Sets Inflight's default {@code value} at {@code key} unless {@code key} or one of {@code also}
     * (the unprefixed or more general forms a client would take it from) is set: a user's setting in any
     * form wins, and the default never shadows it.
     */
    private static void defaultUnlessSet(Properties p, String key, String value, String... also) {
        if (p.containsKey(key)) {
            return;
        }
        for (String k : also) {
            if (p.containsKey(k)) {
                return;
            }
        }
        p.put(key, value);
    }

    /** Every effective {@code inflight.*} value, for the start-up banner. */
    public Map<String, Object> inflightValues() {
        Map<String, Object> m = new TreeMap<>(values());
        m.putAll(policy.toMap());
        return m;
    }
}
