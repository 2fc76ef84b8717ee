package dev.improv.server.routing;

import dev.improv.server.protocol.Role;

/**
 * A verified request to join a room: who (from the token), where, and the last seq the client saw.
 *
 * @param lastSeq the last seq the client saw, or -1 for none
 */
public record RoomJoin(String roomId, String participantId, String displayName, Role role, long lastSeq) {
}
