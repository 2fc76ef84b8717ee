package dev.improv.server.http;

import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ProtocolViolation;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answer of the HTTP API, in the same shape as the WebSocket protocol's {@code error} message:
 * {@code {"type":"error","code":"INVALID_FIELD","field":"ttlSeconds","message":"…"}}. Codes are the protocol's
 * {@link ErrorCode} names where one fits, plus the HTTP-only codes below.
 *
 * @param field the offending field of the request body or path, or null when no single field is to blame
 */
public record ApiError(String code, String field, String message) {
    public static final String NOT_FOUND = "NOT_FOUND";
    public static final String METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED";
    public static final String UNAUTHORIZED = "UNAUTHORIZED";
    public static final String UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
    public static final String BAD_REQUEST = "BAD_REQUEST";
    public static final String POOL_EXISTS = "POOL_EXISTS";
    /** A pool cannot be closed while rooms it made are open. */
    public static final String POOL_BUSY = "POOL_BUSY";
    public static final String SESSION_NOT_FOUND = "SESSION_NOT_FOUND";
    public static final String NO_LIBRARY = "NO_LIBRARY";
    /** Cluster: the node that owns the room or pool did not answer a close in time (it may still happen). */
    public static final String OWNER_UNREACHABLE = "OWNER_UNREACHABLE";

    public static ApiError of(ErrorCode code, String field, String message) {
        return new ApiError(code.wireName(), field, message);
    }

    public static ApiError of(ProtocolViolation violation) {
        return of(violation.code(), violation.field(), violation.getMessage());
    }

    /** The JSON body, field order as on the WebSocket. */
    Map<String, Object> body() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "error");
        out.put("code", code);
        out.put("field", field);
        out.put("message", message);
        return out;
    }

    /** Thrown by a route handler to answer with this error and status. */
    public static final class Failure extends RuntimeException {
        private final HttpResponseStatus status;
        private final ApiError error;

        public Failure(HttpResponseStatus status, ApiError error) {
            super(error.message(), null, false, false);
            this.status = status;
            this.error = error;
        }

        public HttpResponseStatus status() {
            return status;
        }

        public ApiError error() {
            return error;
        }
    }

    /** 404 with this code. */
    public static Failure notFound(String code, String message) {
        return new Failure(HttpResponseStatus.NOT_FOUND, new ApiError(code, null, message));
    }

    /** 400 naming the field. */
    public static Failure invalid(String field, String message) {
        return new Failure(HttpResponseStatus.BAD_REQUEST, of(ErrorCode.INVALID_FIELD, field, message));
    }
}
