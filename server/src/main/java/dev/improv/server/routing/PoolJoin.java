package dev.improv.server.routing;

import dev.improv.server.protocol.Role;

/** A verified connection to a pool's lobby: a performer who will queue, or a moderator who is available. */
public record PoolJoin(String pool, String participantId, String displayName, Role role) {
}
