package dev.improv.server.auth;

import dev.improv.server.protocol.Role;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a join token lets its holder do, carried in the JWT {@code scope} claim (space separated, as in RFC 8693).
 * A token without the claim gets its role's defaults, so a studio may leave it out.
 */
public enum Scope {
    /** Open the room's (or the lobby's) WebSocket. */
    JOIN,
    /** Fetch STUN/TURN servers and TURN credentials ({@code /api/ice}). */
    ICE,
    /** Read the moderators' prompt library ({@code /api/prompts}). */
    PROMPTS,
    /**
     * Be the room's media recorder ({@link dev.improv.server.protocol.Capability#MEDIA}): announced to the room,
     * so performer pages send it their microphone and camera. Recorder tokens only, never a default: sending a
     * performer's media somewhere is granted by whoever signs the token, not by a display name.
     */
    MEDIA;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The scope with this wire name, or null. */
    public static Scope fromWire(String value) {
        for (Scope s : values()) {
            if (s.wireName().equals(value)) {
                return s;
            }
        }
        return null;
    }

    /** The capabilities in the room that these scopes grant. */
    public static java.util.List<dev.improv.server.protocol.Capability> capabilities(Set<Scope> scopes) {
        return scopes.contains(MEDIA) ? java.util.List.of(dev.improv.server.protocol.Capability.MEDIA)
                : java.util.List.of();
    }

    /** What a token of this role may do when it names no scopes. */
    public static Set<Scope> defaultsFor(Role role) {
        return role == Role.MODERATOR ? EnumSet.of(JOIN, ICE, PROMPTS) : EnumSet.of(JOIN, ICE); // never MEDIA
    }
}
