package io.inflight.store;

import io.inflight.policies.util.LongIntHashMap;

/**
 * The hot tier's index from a 64-bit row key to its entry number: the policies' open-addressing
 * {@link LongIntHashMap} (linear probing, backward-shift deletion, no per-entry objects) under the
 * store's own name. Not thread-safe.
 */
final class KeyIndex extends LongIntHashMap {

    KeyIndex(int expected) {
        super(expected);
    }
}
