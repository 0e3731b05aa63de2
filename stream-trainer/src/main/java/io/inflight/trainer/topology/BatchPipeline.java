package io.inflight.trainer.topology;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs of a {@link BatchTrainerProcessor} (whole batches and time-based publications), numbered
 * in the order they are handed over, run on the task's trainer thread, at most
 * {@value #MAX_IN_FLIGHT} ahead of the stream thread, and their outputs forwarded in job order.
 *
 * <p>Lifecycle: {@link #restore} (what the checkpoint holds), jobs made on the stream thread while
 * the journal is re-applied ({@link #completed}), {@link #start}, then {@link #submit},
 * {@link #forwardDone} and {@link #awaitAll}, and {@link #close}. Every method is called by the
 * stream thread; only the submitted jobs run on the trainer thread.
 *
 * <p>{@link #forwardedJobs} counts the jobs whose outputs were forwarded; the journal and the
 * checkpoint hold it with each commit, and the outputs not yet forwarded are written with a
 * checkpoint ({@link #encodeUnforwarded}), so a restart forwards exactly the outputs that no
 * committed transaction holds.
 */
final class BatchPipeline {

    /** Jobs handed to the trainer thread and not yet answered, at most. */
    static final int MAX_IN_FLIGHT = 8;
    /** Logged under the processor's name, as before the pipeline was a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(BatchTrainerProcessor.class);

    /** Trains the whole batches; started after the journal was re-applied. */
    private ExecutorService trainerThread;
    /** Jobs handed to the trainer thread, oldest first; each answers the records it emits. */
    private final ArrayDeque<Future<JobOutput>> inFlight = new ArrayDeque<>();
    /** Outputs of finished jobs not forwarded yet, oldest first. */
    private final ArrayDeque<JobOutput> unforwarded = new ArrayDeque<>();
    /** Every job below this number had its outputs forwarded. */
    private long forwardedJobs;
    /** Jobs numbered, ever. */
    private long jobsSubmitted;

    /** What a checkpoint holds: the counters and the outputs still to forward ({@link #encodeUnforwarded}). */
    void restore(long forwarded, long jobs, byte[] outputs) {
        forwardedJobs = forwarded;
        jobsSubmitted = jobs;
        unforwarded.clear();
        ByteBuffer b = ByteBuffer.wrap(outputs);
        while (b.hasRemaining()) {
            unforwarded.add(JobOutput.decode(b));
        }
    }

    /** Starts the trainer thread, a daemon named {@code threadName}. */
    void start(String threadName) {
        this.trainerThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** The number of the next job. */
    long nextJob() {
        return jobsSubmitted++;
    }

    long jobsSubmitted() {
        return jobsSubmitted;
    }

    long forwardedJobs() {
        return forwardedJobs;
    }

    /** Whether job {@code seq}'s outputs are in a committed transaction already. */
    boolean isForwarded(long seq) {
        return seq < forwardedJobs;
    }

    /** Every job below {@code n} had its outputs forwarded in a committed transaction. */
    void forwardedThrough(long n) {
        forwardedJobs = Math.max(forwardedJobs, n);
        while (!unforwarded.isEmpty() && unforwarded.peek().seq() < forwardedJobs) {
            unforwarded.poll();
        }
    }

    /** A job run on this thread (while the journal is re-applied): its outputs are kept unless already forwarded. */
    void completed(JobOutput o) {
        if (!isForwarded(o.seq())) {
            unforwarded.add(o);
        }
    }

    /**
     * Whether the trainer thread has a backlog: besides the job it is at, at least one more waits.
     * (A job merely not done yet says little on a loaded machine, where the thread may simply not
     * have been scheduled since.)
     */
    boolean busy() {
        int waiting = 0;
        for (Future<JobOutput> f : inFlight) {
            if (!f.isDone() && ++waiting >= 2) {
                return true;
            }
        }
        return false;
    }

    /** Hands {@code job} to the trainer thread, first waiting while {@value #MAX_IN_FLIGHT} are in flight. */
    void submit(Callable<JobOutput> job) {
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            collectOldest();
        }
        inFlight.add(trainerThread.submit(job));
    }

    /** Collects the oldest job in flight, waiting for it if needed; its outputs join {@link #unforwarded}. */
    private void collectOldest() {
        Future<JobOutput> f = inFlight.poll();
        try {
            unforwarded.add(f.get());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("training a batch failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptException(e);
        }
    }

    /**
     * Forwards the outputs of every job finished so far, without waiting for the trainer thread.
     * Only from {@code process} or a punctuation (Streams does not allow forwarding while it commits).
     */
    void forwardDone(ProcessorContext<byte[], byte[]> context) {
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            collectOldest();
        }
        for (JobOutput o; (o = unforwarded.poll()) != null; ) {
            for (JobOutput.Output r : o.records()) {
                context.forward(r.record(), r.sink());
            }
            forwardedJobs = o.seq() + 1;
        }
    }

    /** Waits until every job handed to the trainer thread is done (outputs kept to forward). */
    void awaitAll() {
        while (!inFlight.isEmpty()) {
            collectOldest();
        }
    }

    /** The outputs not forwarded yet, as {@link #restore} reads them back. */
    byte[] encodeUnforwarded() {
        return JobOutput.encode(unforwarded);
    }

    /** Stops the trainer thread after its current job (waiting up to 5 minutes); what is in flight is dropped. */
    void close(TaskId task) {
        if (trainerThread == null) {
            return;
        }
        // Streams commits before it closes a processor cleanly, so nothing here is still to be
        // forwarded; after a failure the open transaction (and what it would have held) is aborted.
        trainerThread.shutdown();
        try {
            if (!trainerThread.awaitTermination(5, TimeUnit.MINUTES)) {
                LOG.warn("task {}: the trainer thread did not finish its batch in 5 minutes", task);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        inFlight.clear();
    }
}
