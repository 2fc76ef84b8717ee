package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Exchange marks: explicit turns ("my turn" button) and voice activity detected in the browser. */
public enum MarkKind {
    TURN_START("turn_start"), TURN_END("turn_end"), SPEAKING_START("speaking_start"), SPEAKING_STOP("speaking_stop");

    private final String wire;

    MarkKind(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wireName() {
        return wire;
    }

    @JsonCreator
    public static MarkKind fromWire(String value) {
        for (MarkKind k : values()) {
            if (k.wire.equals(value)) {
                return k;
            }
        }
        throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "kind",
                "'kind' must be one of turn_start, turn_end, speaking_start, speaking_stop");
    }
}
