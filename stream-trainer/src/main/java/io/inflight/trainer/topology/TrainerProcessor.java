package io.inflight.trainer.topology;

import io.inflight.topics.ClickEvent;
import io.inflight.topics.FeatureKeys;
import io.inflight.topics.RejectReason;
import io.inflight.trainer.config.TrainerSettings;
import io.inflight.trainer.metrics.TrainerMeters;
import io.inflight.trainer.model.CtrModel;
import io.inflight.trainer.model.Losses;
import io.inflight.trainer.model.Models;
import io.inflight.trainer.state.KeyValueRowStore;
import io.inflight.trainer.state.RowCodec;
import io.inflight.trainer.state.RowStore;
import io.inflight.trainer.state.TrainerStateStore;
import java.util.Arrays;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores each click event with the current model (progressive validation), records the score, then
 * learns from the event. Malformed input goes to the dead-letter sink with its original bytes, the
 * reason and its source coordinates in headers; it never changes the model.
 *
 * <p>All state an event changes (rows, dense parameters, metrics) is written to changelogged state
 * stores, so under {@code exactly_once_v2} it commits atomically with the input offset. The in-memory
 * copies of the dense parameters and metrics are reloaded from the stores in {@link #init}, which
 * Kafka Streams calls again after any restore, so they never run ahead of committed state.
 */
public final class TrainerProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    public static final String HEADER_REASON = "inflight.reject.reason";
    public static final String HEADER_DETAIL = "inflight.reject.detail";
    public static final String HEADER_SOURCE_TOPIC = "inflight.source.topic";
    public static final String HEADER_SOURCE_PARTITION = "inflight.source.partition";
    public static final String HEADER_SOURCE_OFFSET = "inflight.source.offset";

    private static final Logger LOG = LoggerFactory.getLogger(TrainerProcessor.class);

    private final TrainerSettings settings;
    private final TrainerMeters meters;
    private final Intake intake;
    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<String, byte[]> stateStore;
    private RowStore rows;
    private CtrModel model;
    private float[] dense;
    private float[] denseBefore;
    private PersistedMetrics metrics;
    private long[] keys = new long[64];
    private float[][] rowBuf = new float[0][];

    public TrainerProcessor(TrainerSettings settings, TrainerMeters meters) {
        this(settings, meters, Faults.NONE);
    }

    public TrainerProcessor(TrainerSettings settings, TrainerMeters meters, Faults faults) {
        this.settings = settings;
        this.meters = meters;
        this.intake = new Intake(settings, meters, faults);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        intake.init(context);
        this.model = Models.create(settings);
        KeyValueStore<Long, byte[]> rowStore = context.getStateStore(TrainerStateStore.ROWS);
        this.rows = new KeyValueRowStore(rowStore, model.rowWidth());
        this.stateStore = context.getStateStore(TrainerStateStore.STATE);
        this.dense = new float[model.denseWidth()];
        this.denseBefore = new float[model.denseWidth()];
        byte[] denseBytes = stateStore.get(TrainerStateStore.DENSE_KEY);
        if (denseBytes != null) {
            RowCodec.decode(denseBytes, dense, dense.length, TrainerStateStore.STATE, TrainerStateStore.DENSE_KEY);
        }
        this.metrics = new PersistedMetrics(stateStore, settings.aucBins(), settings.windowEvents());
        this.rowBuf = growRows(rowBuf, 64);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        ClickEvent event = intake.accept(context, record, metrics);
        if (event == null) {
            return;
        }
        try {
            intake.faults().check(Faults.Stage.TRAIN, event);
            train(record, event);
        } catch (RuntimeException e) {
            Faults.rethrowIfInfrastructure(e);
            // rows are written only after the whole update succeeded; dense is restored
            System.arraycopy(denseBefore, 0, dense, 0, dense.length);
            LOG.warn("training the event at {} failed; dead-lettered", position(), e);
            intake.reject(context, record, RejectReason.INTERNAL_ERROR, Faults.describe("training", e), metrics);
        }
    }

    private String position() {
        return context.recordMetadata().map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("?");
    }

    private void train(Record<byte[], byte[]> record, ClickEvent event) {
        System.arraycopy(dense, 0, denseBefore, 0, dense.length);
        int n = distinctKeys(event);
        for (int i = 0; i < n; i++) {
            if (!rows.read(keys[i], rowBuf[i])) {
                model.initRow(keys[i], rowBuf[i]);
            }
        }
        double logit = model.logit(rowBuf, n, dense);
        if (!Double.isFinite(logit)) {
            intake.reject(context, record, RejectReason.NON_FINITE_PREDICTION, "model produced logit " + logit, metrics);
            return;
        }
        model.learn(rowBuf, n, dense, logit, event.label());
        // counted once the update was worked out: an event whose update throws is a dead letter only
        metrics.record(logit, event.label());
        meters.event();
        if (settings.predictions()) {
            byte[] p = DeadLetters.prediction(event.id(), event.eventTimeMs(), event.label(), Losses.sigmoid(logit));
            byte[] key = record.key(); // dropped when the input's key is too large to send again with the prediction
            if (key != null && (long) key.length + p.length + 1024 > intake.maxRecordBytes()) {
                key = null;
            }
            context.forward(new Record<>(key, p, record.timestamp()), TrainerTopology.PREDICTIONS_SINK);
        }
        if (!allFinite(n)) {
            // The update is dropped; rows are re-read from the store next time, dense is restored.
            System.arraycopy(denseBefore, 0, dense, 0, dense.length);
            meters.nonFinite();
            LOG.warn("non-finite update skipped for {}-{}@{}", context.recordMetadata().map(RecordMetadata::topic).orElse("?"),
                    context.recordMetadata().map(RecordMetadata::partition).orElse(-1),
                    context.recordMetadata().map(RecordMetadata::offset).orElse(-1L));
            return;
        }
        for (int i = 0; i < n; i++) {
            rows.write(keys[i], rowBuf[i]);
        }
        stateStore.put(TrainerStateStore.DENSE_KEY, RowCodec.encode(dense, dense.length));
    }

    /** Fills {@code keys[0..n)} with the event's distinct feature keys, sorted; returns n. */
    private int distinctKeys(ClickEvent event) {
        int total = event.featureCount();
        if (keys.length < total) {
            keys = new long[Math.max(total, keys.length * 2)];
            rowBuf = growRows(rowBuf, keys.length);
        }
        int n = 0;
        for (ClickEvent.Field f : event.fields()) {
            for (String v : f.values()) {
                keys[n++] = FeatureKeys.key(f.name(), v);
            }
        }
        Arrays.sort(keys, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || keys[distinct - 1] != keys[i]) {
                keys[distinct++] = keys[i];
            }
        }
        return distinct;
    }

    private float[][] growRows(float[][] old, int size) {
        float[][] grown = Arrays.copyOf(old, size);
        for (int i = old.length; i < size; i++) {
            grown[i] = new float[model.rowWidth()];
        }
        return grown;
    }

    private boolean allFinite(int n) {
        for (float v : dense) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        for (int i = 0; i < n; i++) {
            for (float v : rowBuf[i]) {
                if (!Float.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }
}
