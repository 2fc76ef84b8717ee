package dev.improv.load;

import java.util.List;

/** Who joins which room of a target, as prepared by a {@link Dialect} before any WebSocket opens. */
final class Plan {
    private Plan() {
    }

    /** Members per room by role. */
    record Shape(int moderators, int performers, int recorders, int observers) {
        int size() {
            return moderators + performers + recorders + observers;
        }

        /** The shape of the fan-out rooms of the issue: 1 moderator, 2 performers, optionally 1 recorder. */
        static Shape improvRoom(boolean recorder) {
            return new Shape(1, 2, recorder ? 1 : 0, 0);
        }

        /** A full room of our server's default limits (16 members), for idle and join scenarios. */
        static Shape full() {
            return new Shape(4, 8, 4, 0);
        }
    }

    /**
     * One future participant.
     *
     * @param room   index of the room in the run (0..rooms-1)
     * @param index  index inside the room
     * @param role   performer, moderator, recorder or observer
     * @param peerId the id others address signals to
     * @param path   path and query of the WebSocket upgrade request
     */
    record Member(int room, int index, String role, String peerId, String path) {
    }

    record Room(int index, String id, List<Member> members) {
        Member first(String role) {
            return members.stream().filter(m -> m.role().equals(role)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("room " + id + " has no " + role));
        }

        List<Member> all(String role) {
            return members.stream().filter(m -> m.role().equals(role)).toList();
        }
    }
}
