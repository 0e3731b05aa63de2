package io.inflight.store;

/**
 * A stored row or a store operation failed: corrupt or unreadable bytes, a format version this build
 * does not read, a configuration that does not match the stored rows, a full hot tier without a cold
 * tier. The message names the store and, where there is one, the row key.
 */
public final class StoreException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreException(String store, long key, String message) {
        super("store " + store + ", row key " + key + " (0x" + Long.toHexString(key) + "): " + message);
    }

    public StoreException(String store, long key, String message, Throwable cause) {
        super("store " + store + ", row key " + key + " (0x" + Long.toHexString(key) + "): " + message, cause);
    }

    public StoreException(String store, String message) {
        super("store " + store + ": " + message);
    }
}
