package dev.improv.server.eventlog;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionJournal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExportCommandTest {
    @TempDir
    Path dataDir;

    @TempDir
    Path out;

    @Test
    void writesTheSceneAndParticipantLayout() throws Exception {
        String id = "20240101T000000Z-room1-abcd";
        RecordingListener listener = new RecordingListener();
        try (FileWriteAheadLog writer = FileWriteAheadLog.open(dataDir,
                FileWriteAheadLog.Settings.of(FsyncPolicy.OFF, 50), new ServerMetrics())) {
            SessionJournal.JournalSession s = writer.open(Events.meta(id), listener);
            long t = Events.T0;
            String[] lines = {
                "{\"type\":\"prompt\",\"seq\":1,\"ts\":" + t + ",\"actor\":\"m-1\",\"text\":\"A lighthouse\",\"scene\":0}",
                "{\"type\":\"scene_started\",\"seq\":2,\"ts\":" + (t + 1_000_000) + ",\"actor\":\"m-1\",\"scene\":1}",
                "{\"type\":\"mark\",\"seq\":3,\"ts\":" + (t + 1_100_000) + ",\"actor\":\"p-1\",\"kind\":\"speaking_start\","
                        + "\"clientTs\":1,\"serverTs\":" + (t + 1_050_000) + ",\"offsetUs\":5,\"scene\":1}",
                "{\"type\":\"mark\",\"seq\":4,\"ts\":" + (t + 1_300_000) + ",\"actor\":\"p-1\",\"kind\":\"speaking_stop\","
                        + "\"clientTs\":2,\"serverTs\":" + (t + 1_250_000) + ",\"offsetUs\":5,\"scene\":1}",
                "{\"type\":\"scene_ended\",\"seq\":5,\"ts\":" + (t + 2_000_000) + ",\"actor\":\"m-1\",\"scene\":1}",
            };
            for (int i = 0; i < lines.length; i++) {
                s.append(i + 1, lines[i].getBytes(StandardCharsets.UTF_8));
            }
            s.close(Events.ended(id));
            await().atMost(Duration.ofSeconds(20)).until(() -> listener.lastDurable() == lines.length);
        }
        int exit = new CommandLine(new ExportCommand()).execute("--data-dir", dataDir.toString(), "--out",
                out.toString());
        assertEquals(0, exit);
        Path session = out.resolve(id);
        JsonNode header = ProtocolCodec.mapper().readTree(session.resolve("session.json").toFile());
        assertEquals(id, header.path("sessionId").asText());
        JsonNode prompt = ProtocolCodec.mapper().readTree(session.resolve("scene-1/prompt.json").toFile());
        assertEquals("A lighthouse", prompt.path("leadInPrompt").path("text").asText());
        JsonNode turns = ProtocolCodec.mapper().readTree(session.resolve("scene-1/participant-p-1/turns.json")
                .toFile());
        assertEquals(Events.T0 + 1_050_000, turns.path("speech").path(0).path("start").asLong());
        JsonNode vad = ProtocolCodec.mapper().readTree(session.resolve("scene-1/participant-p-1/vad.json").toFile());
        assertEquals(100, vad.path("frames").asInt());
        assertEquals(200, vad.path("voicedMs").asLong());
        assertTrue(Files.isRegularFile(session.resolve("session.json")));

        assertEquals(1, new CommandLine(new ExportCommand()).execute("--data-dir", dataDir.toString(), "--out",
                out.toString(), "--session", "missing"));
    }
}
