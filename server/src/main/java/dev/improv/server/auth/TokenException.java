package dev.improv.server.auth;

import dev.improv.server.protocol.ErrorCode;
import java.util.Locale;

/**
 * A token was refused. The {@link Reason} says why for machines (tests, metrics, the {@code reason} field of
 * HTTP answers), the code is what the protocol sends, and the message says it to people.
 */
public final class TokenException extends Exception {
    /** Why a token was refused. */
    public enum Reason {
        MISSING, MALFORMED, ALGORITHM, UNKNOWN_KEY, RETIRED_KEY, SIGNATURE, ISSUER, AUDIENCE, EXPIRED, NOT_YET_VALID,
        CLAIMS, SCOPE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final ErrorCode code;
    private final Reason reason;

    public TokenException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
        this.code = switch (reason) {
            case EXPIRED -> ErrorCode.TOKEN_EXPIRED;
            case SCOPE -> ErrorCode.NOT_AUTHORIZED;
            default -> ErrorCode.TOKEN_INVALID;
        };
    }

    public ErrorCode code() {
        return code;
    }

    public Reason reason() {
        return reason;
    }

    /** The HTTP status for this refusal: 403 when the token is good but does not allow the request, else 401. */
    public int httpStatus() {
        return reason == Reason.SCOPE ? 403 : 401;
    }
}
