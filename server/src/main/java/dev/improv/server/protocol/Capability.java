package dev.improv.server.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What a participant does in a room beyond its {@link Role}, granted by its signed join token (never claimed by
 * the client) and announced to the room in every {@link ServerMessage.Member} ({@code capabilities}), so that
 * pages find such a participant by type, not by its display name.
 */
public enum Capability {
    /**
     * Records the performers' media: performer pages offer it their microphone and camera (send-only), and it
     * answers. Only a {@code recorder} may have it: a recorder stays read-only in the room.
     */
    MEDIA;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The capability with this wire name, or null for one this version does not know (a newer server's). */
    @JsonCreator
    public static Capability fromWire(String value) {
        for (Capability c : values()) {
            if (c.wireName().equals(value)) {
                return c;
            }
        }
        return null;
    }
}
