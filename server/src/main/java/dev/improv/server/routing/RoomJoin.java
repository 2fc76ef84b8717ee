package dev.improv.server.routing;

import dev.improv.server.protocol.Capability;
import dev.improv.server.protocol.Role;
import java.util.List;

/**
 * A verified request to join a room: who (from the token), where, and the last seq the client saw.
 *
 * @param lastSeq      the last seq the client saw, or -1 for none
 * @param capabilities what the token grants beyond the role (announced to the room)
 */
public record RoomJoin(String roomId, String participantId, String displayName, Role role, long lastSeq,
                       List<Capability> capabilities) {
    public RoomJoin {
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    }

    /** A join without capabilities. */
    public RoomJoin(String roomId, String participantId, String displayName, Role role, long lastSeq) {
        this(roomId, participantId, displayName, role, lastSeq, List.of());
    }
}
