package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** The three kinds of WebRTC signalling the server relays. */
public enum SignalKind {
    OFFER("offer"), ANSWER("answer"), ICE("ice");

    private final String wire;

    SignalKind(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wireName() {
        return wire;
    }

    @JsonCreator
    public static SignalKind fromWire(String value) {
        for (SignalKind k : values()) {
            if (k.wire.equals(value)) {
                return k;
            }
        }
        throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "kind", "'kind' must be one of offer, answer, ice");
    }
}
