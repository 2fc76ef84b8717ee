package dev.improv.server.auth;

import dev.improv.server.protocol.ErrorCode;

/** A token was refused; the code says why (invalid, expired, wrong room) and the message says it to people. */
public final class TokenException extends Exception {
    private final ErrorCode code;

    public TokenException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
