package dev.improv.server.eventlog;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-session folders written by the version before the node log: a session left open by a crash of that version
 * ({@code endedAt} null, no {@code room_closed}) cannot be rebuilt as a room (it kept no room facts), so it is
 * closed: a {@code room_closed} line with reason {@code crashed} stamped with its last event's time, and that time
 * as {@code endedAt} in {@code meta.json}. Blocking I/O; run once at start, off the I/O threads.
 */
final class LegacySessions {
    private static final Logger LOG = LoggerFactory.getLogger(LegacySessions.class);

    private LegacySessions() {
    }

    /** Closes every open legacy session that {@code inLog} does not hold. Returns how many were closed. */
    static int closeCrashed(SessionFiles files, Set<String> inLog, boolean sync) {
        int closed = 0;
        try {
            SessionArchive archive = new SessionArchive(files);
            for (String id : files.ids()) {
                if (inLog.contains(id)) {
                    continue;
                }
                Optional<SessionMeta> meta = archive.meta(id);
                if (meta.isEmpty() || meta.get().endedAt() != null) {
                    continue;
                }
                SessionLogReader.ReadResult log = archive.reader().read(id);
                if (!log.events().isEmpty() && log.events().get(log.events().size() - 1).type().equals("room_closed")) {
                    continue;
                }
                long lastTs = log.events().isEmpty() ? meta.get().startedAt()
                        : log.events().get(log.events().size() - 1).ts();
                if (log.tornTail()) {
                    try (var ch = java.nio.channels.FileChannel.open(files.events(id), StandardOpenOption.WRITE)) {
                        ch.truncate(log.validBytes());
                    }
                }
                String line = "{\"type\":\"room_closed\",\"seq\":" + (log.lastSeq() + 1) + ",\"ts\":" + lastTs
                        + ",\"actor\":\"server\",\"reason\":\"crashed\"}\n";
                Files.write(files.events(id), line.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
                SessionMeta m = meta.get();
                SessionExport.writeMeta(files.dir(id), ProtocolCodec.mapper().writeValueAsBytes(new SessionMeta(
                        m.sessionId(), m.roomId(), m.roomName(), m.startedAt(), lastTs, m.protocolVersion(),
                        m.serverVersion(), m.participants(), m.scenes())), sync);
                LOG.warn("session {} (per-session format) was left open by a crash: closed as crashed at its last "
                        + "event", id);
                closed++;
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("closing sessions left open by an older version failed", e);
        }
        return closed;
    }
}
