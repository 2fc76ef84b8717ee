package dev.improv.server.room;

import dev.improv.server.protocol.Role;
import dev.improv.server.protocol.ServerMessage;
import java.util.List;
import java.util.Map;

/** An immutable snapshot of a room for readers on other threads (admin API, moderator overviews). */
public record RoomSummary(String id, String name, String sessionId, boolean closed, boolean locked, int scene,
                          boolean sceneActive, long lastSeq, int members, int connected, Map<Role, Integer> byRole,
                          List<ServerMessage.Member> roster) {
    public RoomSummary {
        byRole = Map.copyOf(byRole);
        roster = List.copyOf(roster);
    }
}
