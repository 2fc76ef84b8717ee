package dev.improv.server.protocol;

/**
 * A client message that is well-formed JSON but breaks a rule of the protocol. Thrown from record
 * constructors during decoding and turned into an {@code error} message naming the field.
 */
public final class ProtocolViolation extends RuntimeException {
    private final ErrorCode code;
    private final String field;

    public ProtocolViolation(ErrorCode code, String field, String message) {
        super(message, null, false, false);
        this.code = code;
        this.field = field;
    }

    public ErrorCode code() {
        return code;
    }

    /** The offending field as a JSON path ("meta", "data.sdp"), or null when no single field is to blame. */
    public String field() {
        return field;
    }

    public ServerMessage.Error toError(String cid) {
        return new ServerMessage.Error(code, field, getMessage(), cid);
    }
}
