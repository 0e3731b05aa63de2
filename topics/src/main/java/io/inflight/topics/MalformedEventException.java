package io.inflight.topics;

/**
 * An event that cannot be trained on. Carries a machine-readable {@link RejectReason} (the
 * dead-letter header and the metric tag) and a human-readable detail with the offending values.
 */
public final class MalformedEventException extends RuntimeException {

    private final RejectReason reason;

    public MalformedEventException(RejectReason reason, String detail) {
        super(reason.code() + ": " + detail, null, false, false);
        this.reason = reason;
    }

    public RejectReason reason() {
        return reason;
    }
}
