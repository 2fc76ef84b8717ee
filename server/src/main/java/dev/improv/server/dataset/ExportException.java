package dev.improv.server.dataset;

/**
 * An export refused or failed, with the field of the request it is about (null when it is about the disk or the
 * data): {@code session}, {@code pool}, {@code from}, {@code scope}, {@code out}, … The message says why.
 */
public final class ExportException extends RuntimeException {
    private final String field;

    public ExportException(String field, String message) {
        super(message);
        this.field = field;
    }

    public ExportException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
