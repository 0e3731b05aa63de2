package io.inflight.trainer.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.KafkaException;

/**
 * Where the trainer processors let a test make processing one record fail, and how they tell such
 * a failure from a failure of the infrastructure.
 *
 * <p>The processors call {@link #check} at each stage of a record's way (its raw bytes before
 * decoding, the decoded event before validation and before training, and each publication); the
 * production instance, {@link #NONE}, does nothing. An exception thrown by one record's processing
 * sends that record to the dead-letter topic with reason {@code internal-error} and training goes on;
 * only {@link #isInfrastructure infrastructure} failures (Kafka, state stores, disk, the JVM) stop the
 * task.
 */
@FunctionalInterface
public interface Faults {

    /** The stages of a record's processing. */
    enum Stage {
        /** The raw record value, before decoding ({@code subject} is the {@code byte[]}, may be null). */
        DECODE,
        /** The decoded event, before validation ({@code subject} is the {@code ClickEvent}). */
        VALIDATE,
        /** An event about to be trained (on the trainer thread; {@code subject} is the {@code ClickEvent}). */
        TRAIN,
        /** A publication of the changed rows ({@code subject} is the batch count, a {@code Long}). */
        PUBLISH
    }

    /** No faults: what production runs. */
    Faults NONE = (stage, subject) -> { };

    /** Called at {@code stage} with what is processed there; throwing makes that processing fail. */
    void check(Stage stage, Object subject);

    /**
     * Whether {@code t} is a failure of the infrastructure rather than of one record: an
     * {@link Error}, a Kafka exception (state stores, producer, Streams), an I/O error or a RocksDB
     * error anywhere in its causes. Those stop the task as before; anything else is one record's.
     */
    static boolean isInfrastructure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof Error || c instanceof KafkaException
                    || c instanceof IOException || c instanceof UncheckedIOException
                    || c instanceof InterruptedException
                    || c.getClass().getName().startsWith("org.rocksdb.")) {
                return true;
            }
        }
        return false;
    }

    /** Rethrows {@code e} when it is an {@link #isInfrastructure infrastructure} failure; returns otherwise. */
    static void rethrowIfInfrastructure(RuntimeException e) {
        if (isInfrastructure(e)) {
            throw e;
        }
    }

    /** One line for a dead letter's detail: the exception's class and message. */
    static String describe(String what, Throwable t) {
        return what + " failed: " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
