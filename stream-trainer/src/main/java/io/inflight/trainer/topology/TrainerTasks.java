package io.inflight.trainer.topology;

import io.inflight.store.EmbeddingRows;
import io.inflight.trainer.metrics.ProgressiveMetrics;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The mini-batch trainer's tasks in this JVM, for reads that must run <em>on each task's stream
 * thread</em>: the embedding store's hot tier is not thread-safe, so interactive queries cannot read
 * it. A task registers a {@link View} and runs the calls queued for it from a punctuator (every
 * 50 ms of wall-clock time, also while idle); {@link #call} queues a function on every task of an
 * application and waits for the answers, in partition order.
 */
public final class TrainerTasks {

    /** What a call sees of a task. Valid only during the call. */
    public interface View {
        int partition();

        /** The task's embedding rows. */
        EmbeddingRows rows();

        /** SHA-256 of the task's whole model (rows, dense parameters, optimizer state, batch count). */
        byte[] digest();

        /**
         * A copy of the task's progressive metrics (over the whole stream, or over the sliding
         * window): as of now in a {@link #call}, as of the last batch trained in a
         * {@linkplain #metrics read}; the stored ones lag by up to a checkpoint interval.
         */
        ProgressiveMetrics metrics(boolean window);

        /** What the task's embedding table holds and what its policy passes did. */
        TableStats tableStats();

        /** Accepted events waiting for a whole batch (held ones included: see {@link #finish}). */
        int pending();

        /**
         * Ends the task's training for this run: the pending events are trained and scored as one
         * batch, whole or not (the point is journaled, so a restart trains the same batches), unless
         * the task did so already on reaching its {@linkplain #stopAt stop offset}; events that
         * arrive later are held pending, not trained, until the task is closed. The batch is trained
         * before the next call is served.
         */
        void finish();

        /**
         * Whether every batch handed over is trained. A task whose batches wait for answers from
         * elsewhere (row shards) trains them after {@link #finish} returns; others are done by then.
         */
        default boolean trained() {
            return true;
        }
    }

    private static final Map<String, ConcurrentSkipListMap<Integer, Handle>> APPS = new ConcurrentHashMap<>();
    /** Per application, per partition: the input offset at which a task stops training (see {@link #stopAt}). */
    private static final Map<String, Map<Integer, Long>> STOPS = new ConcurrentHashMap<>();

    private TrainerTasks() {
    }

    static Handle register(String applicationId, View view) {
        Handle h = new Handle(applicationId, view);
        APPS.computeIfAbsent(applicationId, a -> new ConcurrentSkipListMap<>()).put(view.partition(), h);
        return h;
    }

    /**
     * Makes the tasks of {@code applicationId} that start from now on {@linkplain View#finish finish}
     * before they process a record at or past their partition's offset in {@code offsets}: the
     * events before it are trained to the last one, those from it on are held. Set it before the
     * application starts; an empty map clears it.
     */
    public static void stopAt(String applicationId, Map<Integer, Long> offsets) {
        if (offsets.isEmpty()) {
            STOPS.remove(applicationId);
        } else {
            STOPS.put(applicationId, Map.copyOf(offsets));
        }
    }

    /** The stop offset of {@code partition}'s task, -1 when it has none. */
    static long stopOffset(String applicationId, int partition) {
        return STOPS.getOrDefault(applicationId, Map.of()).getOrDefault(partition, -1L);
    }

    /** {@link View#finish} on every task of {@code applicationId} here; false when one did not answer. */
    public static boolean finish(String applicationId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (call(applicationId, v -> {
            v.finish();
            return Boolean.TRUE;
        }, timeout).isEmpty()) {
            return false;
        }
        // a task whose batches wait for row shards trains them after the call: wait for it
        while (true) {
            long left = deadline - System.nanoTime();
            Optional<List<Boolean>> done = call(applicationId, View::trained, Duration.ofNanos(Math.max(1, left)), true);
            if (done.isPresent() && done.get().stream().allMatch(Boolean::booleanValue)) {
                return true;
            }
            if (left <= 0) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** The events waiting for a whole batch in every task of {@code applicationId} here; empty as {@link #call}. */
    public static Optional<Long> pending(String applicationId, Duration timeout) {
        return call(applicationId, v -> (long) v.pending(), timeout, true)
                .map(parts -> parts.stream().mapToLong(Long::longValue).sum());
    }

    /**
     * Runs {@code fn} on every task of {@code applicationId} in this JVM, each on its own thread;
     * the answers in partition order, or empty when no task is registered or one did not answer
     * within {@code timeout}.
     */
    public static <T> Optional<List<T>> call(String applicationId, Function<View, T> fn, Duration timeout) {
        return call(applicationId, fn, timeout, false);
    }

    /**
     * As above; a {@code read} (of the metrics or the pending count only) is served while the task's
     * trainer thread trains, a call waits until it is idle (it may read the model).
     */
    private static <T> Optional<List<T>> call(String applicationId, Function<View, T> fn, Duration timeout, boolean read) {
        Map<Integer, Handle> tasks = APPS.get(applicationId);
        if (tasks == null || tasks.isEmpty()) {
            return Optional.empty();
        }
        List<CompletableFuture<T>> answers = new ArrayList<>();
        tasks.values().forEach(h -> answers.add(h.submit(fn, read)));
        long deadline = System.nanoTime() + timeout.toNanos();
        List<T> out = new ArrayList<>();
        try {
            for (CompletableFuture<T> a : answers) {
                out.add(a.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return Optional.of(out);
        } catch (TimeoutException | ExecutionException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * The metrics of every task of {@code applicationId} here, merged, as of each task's last trained
     * batch (a read: the tasks' trainer threads go on training); empty as {@link #call}.
     */
    public static Optional<ProgressiveMetrics> metrics(String applicationId, boolean window,
                                                                                  int partitions, Duration timeout) {
        return call(applicationId, v -> v.metrics(window), timeout, true).filter(parts -> parts.size() == partitions)
                .map(parts -> {
                    ProgressiveMetrics total = parts.get(0);
                    for (int i = 1; i < parts.size(); i++) {
                        total.merge(parts.get(i));
                    }
                    return total;
                });
    }

    /**
     * The table statistics of every task of {@code applicationId} here, summed; empty as {@link #call}.
     * Where row shard tasks of the application run here ({@link #registerShard}), theirs: the table is
     * there (the trainer holds a window cache of it).
     */
    public static Optional<TableStats> tableStats(String applicationId, Duration timeout) {
        Optional<TableStats> shards = sumTables(shardsOf(applicationId), timeout);
        return shards.isPresent() ? shards : sumTables(applicationId, timeout);
    }

    private static Optional<TableStats> sumTables(String key, Duration timeout) {
        return call(key, View::tableStats, timeout).filter(parts -> !parts.isEmpty())
                .map(parts -> parts.stream().reduce(TableStats::merge).orElseThrow());
    }

    /** The key the row shard tasks of {@code applicationId} register under. */
    private static String shardsOf(String applicationId) {
        return applicationId + "/row-shards";
    }

    /**
     * Registers row shard {@code shard} of {@code applicationId}, whose table {@code stats} reads (on the
     * shard task's thread, which must call {@link ShardHandle#serve} now and then), so that
     * {@link #tableStats} shows the table where it is.
     */
    public static ShardHandle registerShard(String applicationId, int shard, EmbeddingRows rows, Supplier<TableStats> stats) {
        View view = new View() {
            @Override
            public int partition() {
                return shard;
            }

            @Override
            public EmbeddingRows rows() {
                return rows;
            }

            @Override
            public byte[] digest() {
                return rows.digest();
            }

            @Override
            public ProgressiveMetrics metrics(boolean window) {
                throw new UnsupportedOperationException("row shard " + shard + " scores nothing: its trainer does");
            }

            @Override
            public TableStats tableStats() {
                return stats.get();
            }

            @Override
            public int pending() {
                return 0;
            }

            @Override
            public void finish() {
                // a shard answers its trainer's requests: the trainer finishes
            }
        };
        return new ShardHandle(register(shardsOf(applicationId), view));
    }

    /** A row shard task's registration ({@link #registerShard}). */
    public static final class ShardHandle implements AutoCloseable {
        private final Handle handle;

        private ShardHandle(Handle handle) {
            this.handle = handle;
        }

        /** Serves the calls queued for the shard: on the shard task's thread. */
        public void serve() {
            if (handle.hasCalls()) {
                handle.serve();
            }
        }

        @Override
        public void close() {
            handle.close();
        }
    }

    /** SHA-256 over the digests of every task of {@code applicationId} here, in partition order. */
    public static Optional<byte[]> digest(String applicationId, Duration timeout) {
        return call(applicationId, View::digest, timeout).map(parts -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                parts.forEach(md::update);
                return md.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        });
    }

    /** A task's side: runs the queued calls on its own thread. */
    static final class Handle implements AutoCloseable {
        private final String applicationId;
        private final View view;
        private final Queue<Call<?>> calls = new ConcurrentLinkedQueue<>();
        /** Calls that only read the metrics or the pending count: served without waiting for the trainer thread. */
        private final Queue<Call<?>> reads = new ConcurrentLinkedQueue<>();
        private volatile boolean closed;

        private Handle(String applicationId, View view) {
            this.applicationId = applicationId;
            this.view = view;
        }

        <T> CompletableFuture<T> submit(Function<View, T> fn, boolean read) {
            Call<T> call = new Call<>(fn, new CompletableFuture<>());
            (read ? reads : calls).add(call);
            if (closed) {
                failPending();
            }
            return call.answer();
        }

        /** Whether calls are waiting to be served. */
        boolean hasCalls() {
            return !calls.isEmpty();
        }

        /** Runs every queued call; from the task's thread only. */
        void serve() {
            serve(calls);
        }

        /** Runs every queued read; from the task's thread only, also while its trainer thread trains. */
        void serveReads() {
            serve(reads);
        }

        private void serve(Queue<Call<?>> queue) {
            for (Call<?> c; (c = queue.poll()) != null; ) {
                c.run(view);
            }
        }

        private void failPending() {
            for (Queue<Call<?>> queue : List.of(calls, reads)) {
                for (Call<?> c; (c = queue.poll()) != null; ) {
                    c.answer().completeExceptionally(new IllegalStateException("task " + view.partition() + " was closed"));
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            Map<Integer, Handle> tasks = APPS.get(applicationId);
            if (tasks != null) {
                tasks.remove(view.partition(), this);
            }
            failPending();
        }
    }

    private record Call<T>(Function<View, T> fn, CompletableFuture<T> answer) {
        void run(View view) {
            try {
                answer.complete(fn.apply(view));
            } catch (RuntimeException e) {
                answer.completeExceptionally(e);
            }
        }
    }
}
