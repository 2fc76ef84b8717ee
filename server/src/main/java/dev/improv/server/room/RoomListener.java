package dev.improv.server.room;

import java.util.List;

/**
 * Told by a room, on its owner thread, about what matters for time accounting (scenes, performers present).
 * Implementations hand the news to their own thread and return at once. Times are server µs.
 */
public interface RoomListener {
    RoomListener NONE = new RoomListener() {
    };

    /** A scene started with these performers connected. */
    default void sceneStarted(String roomId, List<String> performersPresent, long ts) {
    }

    default void sceneEnded(String roomId, long ts) {
    }

    /** A performer is present (joined, or reconnected). */
    default void performerPresent(String roomId, String participantId, long ts) {
    }

    /** A performer is absent (connection lost, left, kicked). */
    default void performerAbsent(String roomId, String participantId, long ts) {
    }

    default void roomClosed(String roomId, long ts) {
    }
}
