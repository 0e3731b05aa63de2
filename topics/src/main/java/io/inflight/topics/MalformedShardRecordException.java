package io.inflight.topics;

/**
 * A {@code row-requests} or {@code row-replies} record that {@link RowShardCodec} cannot decode: the
 * one exception its decoders throw for bad bytes. The message says what is wrong, at which byte
 * offset and in which field; {@link #reason()} is the matching dead-letter reason (empty, truncated,
 * unknown-version, trailing-bytes, non-finite, or bad-syntax for the rest).
 */
public final class MalformedShardRecordException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient RejectReason reason;
    private final int offset;

    /**
     * @param reason the dead-letter reason
     * @param offset the byte offset of the field that is wrong (0 for the record as a whole)
     * @param field  the field's name, e.g. {@code "pull keys[3]"}
     * @param detail what is wrong with it, with the values
     */
    public MalformedShardRecordException(RejectReason reason, int offset, String field, String detail) {
        super(reason.code() + ": " + field + " at offset " + offset + ": " + detail, null, false, false);
        this.reason = reason;
        this.offset = offset;
    }

    /** The dead-letter reason. */
    public RejectReason reason() {
        return reason;
    }

    /** The byte offset of the field that is wrong. */
    public int offset() {
        return offset;
    }
}
