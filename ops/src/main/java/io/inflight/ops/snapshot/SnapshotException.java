package io.inflight.ops.snapshot;

import java.nio.file.Path;

/** A snapshot file that cannot be used: the message names the file and what is wrong. */
public final class SnapshotException extends IllegalArgumentException {

    public SnapshotException(Path file, String problem) {
        super("snapshot " + file + " " + problem);
    }
}
