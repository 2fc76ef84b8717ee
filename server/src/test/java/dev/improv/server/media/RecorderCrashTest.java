package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recorder is just another client: its socket dying or the recorder stopping never stops the room. */
@Tag("media")
class RecorderCrashTest {
    @TempDir
    Path data;

    @Test
    void roomKeepsRunningWhenTheRecorderDropsReconnectsAndDies() throws Exception {
        try (TestServer server = TestServer.start(data, "--max-messages-per-second", "1000", "--message-burst", "1000");
             MediaRecorder recorder = new MediaRecorder(data, 1, ConsentPolicy.everyone())) {
            JsonNode room = server.createRoom("{\"performers\":[\"Ana\"],\"recorders\":[\"media-recorder\"]}");
            String roomId = room.path("room").path("id").asText();
            try (TestClient mod = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                    .path("token").asText()));
                 TestClient ana = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 0)
                         .path("token").asText()))) {
                MediaRecorderPeer rec = recorder.record("ws://127.0.0.1:" + server.port(),
                        TestServer.link(room, "recorder", 0).path("token").asText());
                String recId = mod.await(m -> m.path("type").asText().equals("member_joined")
                        && m.path("member").path("role").asText().equals("recorder"), "recorder joined")
                        .path("member").path("id").asText();
                assertThrows(RecorderLimitException.class, () -> recorder.record("ws://127.0.0.1:" + server.port(),
                        TestServer.link(room, "recorder", 0).path("token").asText()), "max rooms is 1");

                rec.abortSocketForTest(); // network cut: no close handshake
                mod.await(m -> isPresence(m, recId, false), "recorder dropped");
                mod.send("{\"type\":\"prompt\",\"text\":\"while the recorder is away\"}");
                ana.await(m -> m.path("text").asText().equals("while the recorder is away"), "prompt 1");
                mod.await(m -> isPresence(m, recId, true), "recorder resumed with lastSeq");

                recorder.close(); // the recorder process goes away for good
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> rec.finished().isDone());
                mod.send("{\"type\":\"prompt\",\"text\":\"after the recorder died\"}");
                ana.await(m -> m.path("text").asText().equals("after the recorder died"), "prompt 2");
                mod.send("{\"type\":\"scene_start\",\"title\":\"still on\"}");
                assertEquals(1, ana.await("scene_started").path("scene").asInt());
                assertTrue(ana.ofType("room_closed").isEmpty());
            }
        }
    }

    private static boolean isPresence(JsonNode m, String id, boolean connected) {
        return m.path("type").asText().equals("presence") && m.path("id").asText().equals(id)
                && m.path("connected").asBoolean() == connected;
    }
}
