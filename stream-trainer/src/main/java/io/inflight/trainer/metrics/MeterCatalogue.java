package io.inflight.trainer.metrics;

import java.util.List;

/**
 * Every Inflight meter in one place: its name, type, tags (each with a bounded set of values) and
 * meaning. {@link TrainerMeters} and the samplers of {@code train} and {@code serve} register only
 * names from here; the README's table and the Grafana dashboard are checked against it. Names are
 * dotted lowercase; Prometheus shows them with underscores and Micrometer's suffixes
 * ({@code _total} for counters, {@code _seconds_count}/{@code _seconds_sum}/{@code _seconds_max} for
 * timers, the base unit for gauges and summaries, e.g. {@code _bytes}).
 */
public final class MeterCatalogue {

    /** The kind of meter. */
    public enum Type { COUNTER, GAUGE, TIMER, SUMMARY }

    /** Where the meter is served. */
    public enum Role { TRAIN, SERVE }

    /**
     * One meter.
     *
     * @param name    dotted name
     * @param type    its kind
     * @param unit    Micrometer base unit ("" for none)
     * @param tags    tag keys (bounded values: see {@code meaning})
     * @param role    train or serve
     * @param meaning what it measures
     */
    public record Meter(String name, Type type, String unit, List<String> tags, Role role, String meaning) {
    }

    // ---- train: counted where the work is done ---------------------------------------------------
    public static final String EVENTS = "inflight.trainer.events";
    public static final String REJECTED = "inflight.trainer.rejected";
    public static final String NON_FINITE = "inflight.trainer.nonfinite";
    public static final String CHECKPOINT = "inflight.trainer.checkpoint";
    public static final String CHECKPOINT_BYTES = "inflight.trainer.checkpoint.bytes";
    public static final String JOURNAL = "inflight.trainer.journal";
    public static final String JOURNAL_BYTES = "inflight.trainer.journal.bytes";
    public static final String PUBLICATION = "inflight.trainer.publication";
    public static final String PUBLICATION_HELD = "inflight.trainer.publication.held";
    public static final String PUBLICATION_GATE = "inflight.trainer.publication.gate";
    public static final String THREADS_REPLACED = "inflight.trainer.threads.replaced";
    public static final String POLICY_PASS = "inflight.policy.pass";
    public static final String POLICY_ACTIONS = "inflight.policy.actions";
    // ---- train: sampled from the tasks every few seconds -----------------------------------------
    public static final String AUC = "inflight.trainer.auc";
    public static final String LOG_LOSS = "inflight.trainer.logloss";
    public static final String NE = "inflight.trainer.ne";
    public static final String CALIBRATION = "inflight.trainer.calibration";
    public static final String EVENT_RATE = "inflight.trainer.events.rate";
    public static final String PUBLICATION_LAG = "inflight.trainer.publication.lag";
    public static final String TABLE_BYTES = "inflight.table.bytes";
    public static final String TABLE_PRECISION_BYTES = "inflight.table.precision.bytes";
    public static final String TABLE_METADATA_BYTES = "inflight.table.metadata.bytes";
    public static final String TABLE_CHUNKS_BYTES = "inflight.table.chunks.bytes";
    public static final String TABLE_ROWS = "inflight.table.rows";
    public static final String TABLE_BUDGET = "inflight.table.budget";
    public static final String SHARED_BYTES = "inflight.table.shared.bytes";
    // ---- serve ------------------------------------------------------------------------------------
    public static final String FRESHNESS = "inflight.serve.freshness";
    public static final String SERVE_ROWS = "inflight.serve.rows";
    public static final String SERVE_UPDATES = "inflight.serve.updates";
    public static final String REQUESTS = "inflight.serve.requests";

    /** The tag of the progressive metrics: {@code stream} (every event) or {@code window} (the last N). */
    public static final String SCOPE = "scope";
    /** The tag of policy actions: admitted, evicted, grown, pruned, reallocated, promoted, demoted. */
    public static final String ACTION = "action";
    /** The tag of {@link #TABLE_BYTES}: {@code hot} or {@code cold}. */
    public static final String TIER = "tier";
    /** Precision names, lowercase (fp32 ... int2). */
    public static final String PRECISION = "precision";
    /** Chunks a row stores, 0 to the number of chunks. */
    public static final String CHUNKS = "chunks";
    /** Outcome of a request: ok (2xx) or error. */
    public static final String OUTCOME = "outcome";

    /** Every meter, in the order of the README's table. */
    public static final List<Meter> ALL = List.of(
            train(EVENTS, Type.COUNTER, "events", List.of(), "events scored and learned from"),
            train(REJECTED, Type.COUNTER, "records", List.of("reason"), "records sent to the dead-letter topic, by reason"),
            train(NON_FINITE, Type.COUNTER, "", List.of(), "batches skipped because an update was not finite"),
            train(EVENT_RATE, Type.GAUGE, "", List.of(), "events per second over the last sampling interval"),
            train(AUC, Type.GAUGE, "", List.of(SCOPE), "progressive AUC (stream) and over the sliding window (window)"),
            train(LOG_LOSS, Type.GAUGE, "", List.of(SCOPE), "mean log-loss, stream and window"),
            train(NE, Type.GAUGE, "", List.of(SCOPE), "normalised entropy, stream and window"),
            train(CALIBRATION, Type.GAUGE, "", List.of(SCOPE), "mean prediction / mean label, stream and window"),
            train(TABLE_BYTES, Type.GAUGE, "bytes", List.of(TIER), "table bytes (values and metadata) in the hot and cold tier"),
            train(TABLE_PRECISION_BYTES, Type.GAUGE, "bytes", List.of(PRECISION), "value bytes of stored chunks by precision"),
            train(TABLE_METADATA_BYTES, Type.GAUGE, "bytes", List.of(), "metadata bytes of the rows (mask, precisions, "
                    + "scales, accumulators): with the value bytes and the shared rows, the table's bytes"),
            train(TABLE_CHUNKS_BYTES, Type.GAUGE, "bytes", List.of(CHUNKS), "bytes of the rows storing this many chunks"),
            train(TABLE_ROWS, Type.GAUGE, "rows", List.of(CHUNKS), "rows storing this many chunks"),
            train(TABLE_BUDGET, Type.GAUGE, "bytes", List.of(), "the byte budget the policy passes hold the table to (0: none)"),
            train(SHARED_BYTES, Type.GAUGE, "bytes", List.of(), "bytes of the shared hashed rows (0 without)"),
            train(POLICY_ACTIONS, Type.COUNTER, "", List.of(ACTION), "policy pass counts: admitted (features the "
                    + "frequency admission let through; the budget may still refuse their row), evicted, grown (rows); pruned, "
                    + "reallocated, promoted, demoted (chunks)"),
            train(POLICY_PASS, Type.TIMER, "", List.of(), "policy passes and the time they took"),
            train(CHECKPOINT, Type.TIMER, "", List.of(), "checkpoints written and the time they took"),
            train(CHECKPOINT_BYTES, Type.SUMMARY, "bytes", List.of(), "bytes held until a checkpoint (journal and staged rows)"),
            train(JOURNAL, Type.TIMER, "", List.of(), "commits that wrote only the journal, and their time"),
            train(JOURNAL_BYTES, Type.SUMMARY, "bytes", List.of(), "journal bytes held at a commit (since the last checkpoint)"),
            train(PUBLICATION, Type.TIMER, "", List.of(), "publications to model-updates and the time they took"),
            train(PUBLICATION_LAG, Type.GAUGE, "seconds", List.of(), "seconds since the last publication to model-updates"),
            train(PUBLICATION_HELD, Type.COUNTER, "", List.of(), "publications the quality gate held "
                    + "(inflight.publish.gate.*)"),
            train(PUBLICATION_GATE, Type.GAUGE, "", List.of(), "tasks whose quality gate holds their publications now "
                    + "(0: every gate open)"),
            train(THREADS_REPLACED, Type.COUNTER, "", List.of(), "Streams threads that failed and were replaced, their "
                    + "tasks resumed from their last commit (inflight.recovery.thread.restarts)"),
            serve(FRESHNESS, Type.TIMER, List.of(), "apply time minus publish time of each model update (p50, p99)"),
            serve(SERVE_ROWS, Type.GAUGE, List.of(), "rows the replica holds"),
            serve(SERVE_UPDATES, Type.COUNTER, List.of(), "model updates applied"),
            serve(REQUESTS, Type.TIMER, List.of(OUTCOME), "scoring requests and their latency (p50, p99), ok or error"));

    private MeterCatalogue() {
    }

    private static Meter train(String name, Type type, String unit, List<String> tags, String meaning) {
        return new Meter(name, type, unit, tags, Role.TRAIN, meaning);
    }

    private static Meter serve(String name, Type type, List<String> tags, String meaning) {
        return new Meter(name, type, type == Type.GAUGE ? "rows" : type == Type.COUNTER ? "updates" : "", tags,
                Role.SERVE, meaning);
    }

    /** The meter called {@code name}; fails naming it when the catalogue has none. */
    public static Meter of(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no meter " + name + " in the catalogue"));
    }

    /** The meters served by {@code role}. */
    public static List<Meter> of(Role role) {
        return ALL.stream().filter(m -> m.role() == role).toList();
    }
}
