package io.inflight.ops.snapshot;

import io.inflight.policies.Precision;
import io.inflight.store.EmbeddingStore;
import io.inflight.trainer.model.BatchModel;
import io.inflight.trainer.topology.WarmStarts;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new application's trainer tasks starting from a snapshot: every task stores the snapshot's rows
 * (chunk masks as saved; stored chunks at the precision the snapshot names, the others at the
 * store's default) and imports its dense parameters, with zero optimizer state. The shared hashed
 * rows are not seeded: they start afresh (a feature without a row reads them).
 */
public final class SnapshotWarmStart implements WarmStarts.WarmStart {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWarmStart.class);

    private final ModelSnapshot snapshot;

    public SnapshotWarmStart(ModelSnapshot snapshot) {
        this.snapshot = snapshot;
    }

    @Override
    public long seed(int partition, EmbeddingStore rows, BatchModel model) {
        int k = rows.chunkWidths().length;
        Precision fallback = rows.config().defaultPrecision();
        Precision[] precisions = new Precision[k];
        for (ModelSnapshot.Row r : snapshot.rows()) {
            Arrays.fill(precisions, fallback);
            Precision p = ofBits(r.bits(), fallback);
            for (int c = 0; c < k; c++) {
                if ((r.mask() & (1 << c)) != 0) {
                    precisions[c] = p;
                }
            }
            rows.importRow(r.key(), r.mask(), precisions, r.values(), r.linear());
        }
        if (snapshot.dense().length > 0) {
            if (snapshot.dense().length != model.parameterCount()) {
                throw new IllegalStateException("the snapshot has " + snapshot.dense().length + " dense parameters, this model has "
                        + model.parameterCount());
            }
            float[] dense = new float[model.denseSize()]; // parameters, then the optimizer state: zero
            System.arraycopy(snapshot.dense(), 0, dense, 0, snapshot.dense().length);
            model.importDense(dense);
        }
        LOG.info("task {}: warm start from the snapshot of {} (model {}, dense version {}): {} rows", partition,
                snapshot.applicationId(), snapshot.modelId(), snapshot.denseVersion(), snapshot.rows().size());
        return snapshot.rows().size();
    }

    /** The precision a row published with {@code bits} is stored at ({@code fallback} when it names the width of it). */
    static Precision ofBits(int bits, Precision fallback) {
        if (fallback.bits() == bits) {
            return fallback;
        }
        for (Precision p : Precision.values()) {
            if (p.bits() == bits) {
                return p;
            }
        }
        return fallback;
    }
}
