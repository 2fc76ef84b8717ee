package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Optional;

/**
 * Every reason the server refuses something, on the wire as {@code error.code} and as a metrics tag.
 * {@code closeCode} is the WebSocket close code used when the refusal also ends the connection (0 = keep it).
 */
public enum ErrorCode {
    BAD_JSON(0),
    UNKNOWN_TYPE(0),
    MISSING_FIELD(0),
    INVALID_FIELD(0),
    MESSAGE_TOO_LARGE(0),
    UNSUPPORTED_FRAME(0),
    RATE_LIMITED(0),
    NOT_AUTHORIZED(0),
    UNKNOWN_PEER(0),
    SCENE_STATE(0),
    REPLAY_UNAVAILABLE(0),
    LOG_UNAVAILABLE(0),
    /** The node's log holds too many bytes not yet durable: retry the message shortly. */
    LOG_BACKLOG(0),
    CONSENT_REQUIRED(0),
    OFFER_UNAVAILABLE(0),
    TOKEN_INVALID(4401),
    TOKEN_EXPIRED(4402),
    TOKEN_WRONG_ROOM(4403),
    ROOM_NOT_FOUND(4404),
    ROOM_FULL(4405),
    ROLE_FULL(4406),
    ROOM_LOCKED(4407),
    KICKED(4408),
    SLOW_CONSUMER(4409),
    JOIN_TIMEOUT(4410),
    IDLE_TIMEOUT(4411),
    REPLACED(4412),
    ROOM_CLOSED(4413),
    LEFT(4414),
    POOL_NOT_FOUND(4415),
    /** Per-address connection or upgrade limit, or a participant reconnecting faster than the reconnect rate. */
    TOO_MANY_CONNECTIONS(4429),
    /** A WebSocket frame that breaks RFC 6455 (wrong opcode, unmasked, bad control frame). */
    PROTOCOL_ERROR(1002),
    /** A text frame that is not valid UTF-8. */
    INVALID_UTF8(1007),
    /** A frame, or a fragmented message put together, over the frame limit (4x the message limit). */
    FRAME_TOO_LARGE(1009),
    /**
     * The server holds too many bytes of unfinished messages from all members together (--ws-input-budget-bytes);
     * the connections holding the most are closed with 1013 (try again later): reconnect and send again.
     */
    INPUT_BUDGET(1013),
    /** An HTTP request not complete, or an answer not taken by the client, within the request timeout. */
    HTTP_TIMEOUT(0),
    SERVER_SHUTDOWN(1001),
    INTERNAL(1011);

    private final int closeCode;

    ErrorCode(int closeCode) {
        this.closeCode = closeCode;
    }

    /** WebSocket close code sent when this error ends the connection; 0 when the connection stays open. */
    public int closeCode() {
        return closeCode;
    }

    public boolean closesConnection() {
        return closeCode != 0;
    }

    /** The error that ends a connection with this WebSocket close code, if any. */
    public static Optional<ErrorCode> forCloseCode(int closeCode) {
        for (ErrorCode c : values()) {
            if (c.closeCode == closeCode && c.closesConnection()) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether trying again later, unchanged, may succeed: for a code that closes the connection, whether a client
     * should reconnect by itself (a refused token or a kick would only be refused again); for the others, whether
     * the same message may be sent again. New codes are not retryable unless listed here.
     */
    public boolean retryable() {
        return switch (this) {
            case RATE_LIMITED, UNKNOWN_PEER, REPLAY_UNAVAILABLE, LOG_UNAVAILABLE, SLOW_CONSUMER, JOIN_TIMEOUT,
                 IDLE_TIMEOUT, TOO_MANY_CONNECTIONS, PROTOCOL_ERROR, INVALID_UTF8, FRAME_TOO_LARGE, INPUT_BUDGET,
                 HTTP_TIMEOUT, SERVER_SHUTDOWN, INTERNAL -> true;
            default -> false;
        };
    }

    @JsonValue
    public String wireName() {
        return name();
    }

    public String metricTag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
