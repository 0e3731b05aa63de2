package io.inflight.store;

import io.inflight.policies.EmbeddingTable;

/**
 * The embedding table as the trainer holds it: row reads and updates ({@link RowAccess}), the
 * policy operations ({@link EmbeddingTable}: sample, prune, allocate, set precision, evict, visit),
 * the change log ({@link ChangeLog}) and whole-table reads. {@link EmbeddingStore} is the local
 * implementation; a remote row-shard implementation can stand beside it. Called from one thread;
 * not thread-safe.
 */
public interface EmbeddingRows extends RowAccess, EmbeddingTable, ChangeLog {

    /** Visits every stored row with its values, in ascending unsigned key order (a snapshot). */
    void snapshot(RowSink sink);

    /**
     * SHA-256 over every row in ascending unsigned key order: its 8-byte key and its full encoded
     * form ({@link RowCodec}: values, precisions, utilities, optimizer state, counters), then the
     * shared rows. Equal digests mean bit-identical tables, whatever tier each row was in.
     */
    byte[] digest();

    /**
     * The whole encoded form of {@code key}'s row ({@link RowCodec}: values at their precisions,
     * utilities, optimizer state, counters), or null when it is not stored. With
     * {@link #putEncodedRow} a row moves between stores of the same layout and settings and goes on
     * training bit for bit as it would have where it was (a row shard and its trainer's cache).
     */
    byte[] encodedRow(long key);

    /**
     * Holds {@code bytes} ({@link #encodedRow} of a store with the same layout) as {@code key}'s row,
     * replacing the row stored.
     *
     * @throws StoreException when the bytes are not a row of this layout
     */
    void putEncodedRow(long key, byte[] bytes);
}
