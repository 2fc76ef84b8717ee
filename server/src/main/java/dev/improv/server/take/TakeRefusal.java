package dev.improv.server.take;

/**
 * Why a take request was refused: an HTTP status, an error code of the API's error shape, the field to blame
 * and a sentence. Nothing was stored or changed when this is thrown.
 */
public final class TakeRefusal extends RuntimeException {
    public static final String TAKE_NOT_FOUND = "TAKE_NOT_FOUND";
    public static final String TAKE_CLOSED = "TAKE_CLOSED";
    public static final String CHUNK_CONFLICT = "CHUNK_CONFLICT";
    public static final String QUOTA_EXCEEDED = "QUOTA_EXCEEDED";
    public static final String STORAGE_FAILED = "STORAGE_FAILED";
    public static final String BUSY = "BUSY";

    private final int status;
    private final String code;
    private final String field;

    public TakeRefusal(int status, String code, String field, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String field() {
        return field;
    }

    static TakeRefusal invalid(String field, String message) {
        return new TakeRefusal(400, "INVALID_FIELD", field, message);
    }
}
