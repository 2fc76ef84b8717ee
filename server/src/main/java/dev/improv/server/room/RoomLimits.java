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
 * @param historyEvents   room events kept in memory for resume and late joiners (older ones are read from the log)
 * @param historyBytes    bytes of event JSON kept in memory per room, whichever of the two bounds is reached first
 * @param catchUpStallMs  a member catching up (replay) whose connection takes no bytes for this long is cut as a
 *                        slow consumer; while it keeps reading, catching up is paced, never cut
 * @param clockWindowMs   a performer's mark, put on the server's timeline with its clock offset, must fall within this
 *                        of the server's time (before or after), or it is refused naming {@code clientTs}
 */
public record RoomLimits(int maxMembers, Map<Role, Integer> maxPerRole, long resumeWindowMs, int historyEvents,
                         long historyBytes, long catchUpStallMs, long clockWindowMs) {
    /** 1 MiB of events per room in memory, by default. */
    public static final long DEFAULT_HISTORY_BYTES = 1L << 20;
    /** A catching-up reader that takes nothing for 15 s is cut, by default. */
    public static final long DEFAULT_CATCH_UP_STALL_MS = 15_000;

    /** Marks may be 10 minutes from the server's time (a resend after a reconnect carries its old stamp). */
    public static final long DEFAULT_CLOCK_WINDOW_MS = 600_000;

    /** With the default byte bound of the history and the default catch-up stall timeout. */
    public RoomLimits(int maxMembers, Map<Role, Integer> maxPerRole, long resumeWindowMs, int historyEvents) {
        this(maxMembers, maxPerRole, resumeWindowMs, historyEvents, DEFAULT_HISTORY_BYTES, DEFAULT_CATCH_UP_STALL_MS);
    }

    /** With the default clock window for marks. */
    public RoomLimits(int maxMembers, Map<Role, Integer> maxPerRole, long resumeWindowMs, int historyEvents,
                      long historyBytes, long catchUpStallMs) {
        this(maxMembers, maxPerRole, resumeWindowMs, historyEvents, historyBytes, catchUpStallMs,
                DEFAULT_CLOCK_WINDOW_MS);
    }

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
        if (historyBytes < 4096) {
            throw new IllegalArgumentException("historyBytes must be at least 4096");
        }
        if (catchUpStallMs < 100) {
            throw new IllegalArgumentException("catchUpStallMs must be at least 100");
        }
        if (clockWindowMs < 1000 || clockWindowMs > 365L * 24 * 3600 * 1000) {
            throw new IllegalArgumentException("clockWindowMs must be 1 s to 365 days");
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
        return new RoomLimits(maxMembers, copy, resumeWindowMs, historyEvents, historyBytes, catchUpStallMs,
                clockWindowMs);
    }
}
