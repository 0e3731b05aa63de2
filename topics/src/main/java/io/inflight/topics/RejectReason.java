package io.inflight.topics;

/** Why an input record was dead-lettered. The codes are stable: they appear in headers and metrics. */
public enum RejectReason {
    EMPTY("empty"),
    TRUNCATED("truncated"),
    UNKNOWN_VERSION("unknown-version"),
    TRAILING_BYTES("trailing-bytes"),
    BAD_UTF8("bad-utf8"),
    BAD_SYNTAX("bad-syntax"),
    BAD_LABEL("bad-label"),
    MISSING_LABEL("missing-label"),
    NON_FINITE("non-finite"),
    BAD_TIME("bad-time"),
    TOO_MANY_FEATURES("too-many-features"),
    NO_FEATURES("no-features"),
    STRING_TOO_LONG("string-too-long"),
    DUPLICATE_FIELD("duplicate-field"),
    EMPTY_NAME("empty-name"),
    NON_FINITE_PREDICTION("non-finite-prediction"),
    /** A record that made the decoder or the trainer fail in an unexpected way (a bug, not bad input). */
    INTERNAL_ERROR("internal-error");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    /** Stable lowercase code used in dead-letter headers and as a metric tag. */
    public String code() {
        return code;
    }
}
