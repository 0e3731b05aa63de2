package io.inflight.trainer.model;

import io.inflight.trainer.config.BatchSettings;

/** Creates the {@link BatchModel} of a stream task (each task owns one instance). */
@FunctionalInterface
public interface BatchModelFactory {

    BatchModel create(BatchSettings settings);
}
