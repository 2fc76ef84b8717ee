package dev.improv.server.room;

import dev.improv.server.protocol.Role;
import java.util.EnumMap;
import java.util.Map;

/**
 * Per-room limits.
 *
 * @param maxMembers      members at once, all roles together
 * @param maxPerRole      members at once per role
 * @param resumeWindowMs  how long a dropped participant keeps its slot and identity
 * @param historyEvents   room events kept in memory for resume and late joiners
 */
public record RoomLimits(int maxMembers, Map<Role, Integer> maxPerRole, long resumeWindowMs, int historyEvents) {
    public RoomLimits {
        if (maxMembers < 1) {
            throw new IllegalArgumentException("maxMembers must be at least 1");
        }
        if (resumeWindowMs < 0) {
            throw new IllegalArgumentException("resumeWindowMs must not be negative");
        }
        if (historyEvents < 16) {
            throw new IllegalArgumentException("historyEvents must be at least 16");
        }
        EnumMap<Role, Integer> copy = new EnumMap<>(Role.class);
        for (Role r : Role.values()) {
            copy.put(r, maxPerRole.getOrDefault(r, maxMembers));
        }
        maxPerRole = Map.copyOf(copy);
    }

    public int maxFor(Role role) {
        return maxPerRole.get(role);
    }

    public RoomLimits withMaxFor(Role role, int max) {
        EnumMap<Role, Integer> copy = new EnumMap<>(maxPerRole);
        copy.put(role, max);
        return new RoomLimits(maxMembers, copy, resumeWindowMs, historyEvents);
    }
}
