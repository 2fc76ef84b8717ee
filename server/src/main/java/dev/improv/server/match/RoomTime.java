package dev.improv.server.match;

import dev.improv.server.room.RoomListener;
import java.util.List;

/**
 * One {@link RoomListener} call of a pool's room, as data: what a room owned by another node than its pool's
 * sends to the pool (cluster mode) so that the scene counts in the pool's time accounting. Applying the same one
 * twice in a row changes nothing ({@link TimeAccounting} takes a repeated interval start or end as a no-op, and a
 * repeated scene start with the same stamp as the running scene), so a sender may resend one whose answer it missed.
 *
 * @param kind          which call
 * @param roomId        the room
 * @param performers    {@link Kind#SCENE_STARTED}: the performers present; else empty
 * @param participantId {@link Kind#PRESENT}, {@link Kind#ABSENT}: the performer; else null
 * @param ts            server µs of the change, on the room's node
 */
public record RoomTime(Kind kind, String roomId, List<String> performers, String participantId, long ts) {
    public enum Kind { SCENE_STARTED, SCENE_ENDED, PRESENT, ABSENT, CLOSED }

    public RoomTime {
        performers = performers == null ? List.of() : List.copyOf(performers);
    }

    /** A listener that hands every call, as a {@link RoomTime}, to {@code sink} (on the room's thread). */
    public static RoomListener recordingInto(java.util.function.Consumer<RoomTime> sink) {
        return new RoomListener() {
            @Override
            public void sceneStarted(String roomId, List<String> performersPresent, long ts) {
                sink.accept(new RoomTime(Kind.SCENE_STARTED, roomId, performersPresent, null, ts));
            }

            @Override
            public void sceneEnded(String roomId, long ts) {
                sink.accept(new RoomTime(Kind.SCENE_ENDED, roomId, List.of(), null, ts));
            }

            @Override
            public void performerPresent(String roomId, String participantId, long ts) {
                sink.accept(new RoomTime(Kind.PRESENT, roomId, List.of(), participantId, ts));
            }

            @Override
            public void performerAbsent(String roomId, String participantId, long ts) {
                sink.accept(new RoomTime(Kind.ABSENT, roomId, List.of(), participantId, ts));
            }

            @Override
            public void roomClosed(String roomId, long ts) {
                sink.accept(new RoomTime(Kind.CLOSED, roomId, List.of(), null, ts));
            }
        };
    }
}
