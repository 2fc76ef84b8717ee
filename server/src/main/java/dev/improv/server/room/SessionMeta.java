package dev.improv.server.room;

import dev.improv.server.protocol.Role;
import java.util.List;

/**
 * The small metadata file beside a session log: who took part, which scenes ran, and the versions that
 * wrote it. Times are server microseconds since the epoch; {@code endedAt} is null while the session runs.
 */
public record SessionMeta(String sessionId, String roomId, String roomName, long startedAt, Long endedAt,
                          int protocolVersion, String serverVersion, List<ParticipantInfo> participants,
                          List<SceneInfo> scenes) {

    public SessionMeta {
        participants = List.copyOf(participants);
        scenes = List.copyOf(scenes);
    }

    /** A participant as first seen in this session. */
    public record ParticipantInfo(String id, String name, Role role, long joinedAt, long joinedSeq) {
    }

    /** A scene; the end fields are null while it runs. */
    public record SceneInfo(int number, String title, long startSeq, long startTs, Long endSeq, Long endTs) {
    }
}
