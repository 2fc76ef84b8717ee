package dev.improv.server.eventlog;

import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON bodies of the log's own records (room events and pool facts have their own types). */
final class WalFacts {
    private WalFacts() {
    }

    /** Body of {@link WalRecord.Type#SESSION_OPEN}: what a restart needs to rebuild the room around the events. */
    record SessionOpened(String sessionId, String roomId, String roomName, long startedAt, Limits limits) {
    }

    /** {@link RoomLimits} with the roles spelled out, so that the JSON does not depend on enum key handling. */
    record Limits(int maxMembers, Map<String, Integer> maxPerRole, long resumeWindowMs, int historyEvents) {
        static Limits of(RoomLimits l) {
            Map<String, Integer> perRole = new LinkedHashMap<>();
            for (Role r : Role.values()) {
                perRole.put(r.name(), l.maxFor(r));
            }
            return new Limits(l.maxMembers(), perRole, l.resumeWindowMs(), l.historyEvents());
        }

        RoomLimits toLimits() {
            Map<Role, Integer> perRole = new EnumMap<>(Role.class);
            maxPerRole.forEach((k, v) -> perRole.put(Role.valueOf(k), v));
            return new RoomLimits(maxMembers, perRole, resumeWindowMs, historyEvents);
        }
    }

    /**
     * Body of {@link WalRecord.Type#ROOM_FACT}. {@code participant} is the fact's subject: the participant of a
     * {@code ban}, the pool of a {@code pool}, the node of an {@code owner} (the cluster's fence); a fold passes
     * over kinds it does not know.
     */
    record RoomFact(String fact, String participant) {
    }
}
