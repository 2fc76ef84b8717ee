package dev.improv.server.eventlog;

import dev.improv.server.protocol.Role;
import dev.improv.server.room.SessionMeta;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Hand-made log lines and metadata for tests. */
final class Events {
    static final long T0 = 1_700_000_000_000_000L;

    private Events() {
    }

    static byte[] prompt(long seq) {
        return ("{\"type\":\"prompt\",\"seq\":" + seq + ",\"ts\":" + (T0 + seq) + ",\"actor\":\"m-abc\",\"text\":\"p"
                + seq + "\",\"scene\":0}").getBytes(StandardCharsets.UTF_8);
    }

    static SessionMeta meta(String sessionId) {
        return new SessionMeta(sessionId, "room1", "Room one", T0, null, 1, "test",
                List.of(new SessionMeta.ParticipantInfo("p-1", "Ada", Role.PERFORMER, T0, 1)), List.of());
    }

    static SessionMeta ended(String sessionId) {
        SessionMeta m = meta(sessionId);
        return new SessionMeta(m.sessionId(), m.roomId(), m.roomName(), m.startedAt(), T0 + 1_000_000, 1, "test",
                m.participants(), m.scenes());
    }
}
