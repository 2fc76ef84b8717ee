package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What a participant may do in a room. The role is fixed by the signed join token, never by the client. */
public enum Role {
    PERFORMER, MODERATOR, RECORDER, OBSERVER;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Role fromWire(String value) {
        for (Role r : values()) {
            if (r.wireName().equals(value)) {
                return r;
            }
        }
        throw new ProtocolViolation(ErrorCode.INVALID_FIELD, "role",
                "must be one of performer, moderator, recorder, observer");
    }

    /** Recorders and observers only listen: they may not change the room. */
    public boolean readOnly() {
        return this == RECORDER || this == OBSERVER;
    }
}
