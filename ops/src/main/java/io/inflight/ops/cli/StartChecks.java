package io.inflight.ops.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a command makes before it starts anything (a broker, topics, state directories), so that a
 * start that cannot work fails with one line and exit 2 instead of a stack trace half-way through.
 */
final class StartChecks {

    private StartChecks() {
    }

    /**
     * A TCP port option: 0 (any free port) to 65535.
     *
     * @throws IllegalArgumentException naming the option and the value
     */
    static void port(String option, int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(option + " must be a port in [0, 65535] (0: any free port), got " + port);
        }
    }

    /**
     * {@code dir} is a writable directory, or can be created: its first existing ancestor is a
     * writable directory. Nothing is left behind: the check creates and deletes one probe file there.
     *
     * @param what the option or key that named it, e.g. {@code inflight.state.dir} or {@code --data-dir}
     * @throws IllegalArgumentException naming {@code what} and the directory
     */
    static void writableDirectory(String what, Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalArgumentException(what + ": cannot create " + dir + " (no existing parent directory)");
        }
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException(what + ": " + (existing.equals(abs) ? dir + " is not a directory"
                    : "cannot create " + dir + ": " + existing + " is a file, not a directory"));
        }
        if (!Files.isWritable(existing) || !Files.isExecutable(existing) || !canCreateIn(existing)) {
            throw new IllegalArgumentException(what + ": " + (existing.equals(abs) ? dir + " is read-only"
                    : "cannot create " + dir + ": " + existing + " is read-only"));
        }
    }

    /**
     * Whether a file can be created in {@code dir}: a probe file is created and deleted at once.
     * {@link Files#isWritable} alone is not enough: for root it holds on read-only mounts such as /proc.
     */
    private static boolean canCreateIn(Path dir) {
        try {
            Path probe = Files.createTempFile(dir, ".inflight-write-probe", null);
            Files.deleteIfExists(probe);
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
