package dev.improv.server.room;

import dev.improv.server.protocol.RoomEvent;

/**
 * Sees every event a room publishes, as the record (no parsing), on the room's owner thread, right after the
 * event went to the log and the members: live measures of the timeline (the {@code quality} package) keep their
 * state here. Must not block and must not publish from inside {@link #published}; work that publishes is
 * scheduled with {@link Room#schedule}, which runs later on the same thread.
 */
@FunctionalInterface
public interface RoomTap {
    RoomTap NONE = event -> {
    };

    void published(RoomEvent event);

    /** Makes the tap of one room, when the room is made or rebuilt after a restart (before it is shared). */
    @FunctionalInterface
    interface Factory {
        RoomTap open(Room room);
    }
}
