package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session of the per-session version left open by a crash is closed as crashed at its last event. */
class LegacySessionsTest {
    @TempDir
    Path dataDir;

    @Test
    void anOpenLegacySessionIsClosedAtItsLastEventAndAClosedOneIsLeftAlone() throws Exception {
        SessionFiles files = new SessionFiles(dataDir);
        for (String id : List.of("old-open", "old-closed")) {
            Files.createDirectories(files.dir(id));
            Files.writeString(files.meta(id), new String(ProtocolCodec.mapper().writeValueAsBytes(new SessionMeta(id,
                    "r", "R", 1_000, id.equals("old-closed") ? 9_000L : null, 1, "old", List.of(), List.of()))));
            Files.writeString(files.events(id), "{\"type\":\"prompt\",\"seq\":1,\"ts\":5000,\"actor\":\"m\",\"text\":"
                    + "\"x\",\"scene\":0}\n{\"type\":\"prompt\",\"seq\":2,\"ts\":7000,\"actor\":\"m\",\"text\":\"y\","
                    + "\"scene\":0}\n{\"type\":\"pro");
        }
        assertEquals(1, LegacySessions.closeCrashed(files, Set.of(), false));
        SessionLogReader.ReadResult log = new SessionLogReader(files).read("old-open");
        assertEquals(List.of(), log.problems());
        assertEquals(3, log.lastSeq());
        assertEquals("room_closed", log.events().get(2).type());
        assertEquals("crashed", log.events().get(2).json().path("reason").asText());
        assertEquals(7000, log.events().get(2).ts());
        SessionMeta meta = new SessionArchive(files).meta("old-open").orElseThrow();
        assertEquals(7000L, meta.endedAt());
        assertEquals(9000L, new SessionArchive(files).meta("old-closed").orElseThrow().endedAt());
        assertEquals(0, LegacySessions.closeCrashed(files, Set.of(), false), "once is enough");
    }
}
