package dev.improv.server.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The recorder is just another client: its socket dying or the recorder stopping never stops the room. */
@Tag("media")
@ResourceLock(TestLocks.CPU)
class RecorderCrashTest {
    @TempDir
    Path data;

    @Test
    void roomKeepsRunningWhenTheRecorderDropsReconnectsAndDies() throws Exception {
        try (TestServer server = TestServer.start(data, "--max-messages-per-second", "1000", "--message-burst", "1000");
             MediaRecorder recorder = new MediaRecorder(data, 1, ConsentPolicy.everyone())) {
            JsonNode room = server.createRoom("{\"performers\":[\"Ana\"],\"recorders\":0}");
            String roomId = room.path("room").path("id").asText();
            String mediaToken = MediaLinks.mediaRecorderToken(server, roomId);
            try (TestClient mod = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                    .path("token").asText()));
                 TestClient ana = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 0)
                         .path("token").asText()))) {
                MediaRecorderPeer rec = recorder.record("ws://127.0.0.1:" + server.port(), mediaToken);
                String recId = mod.await(MediaLinks::mediaRecorderJoined, "the media recorder joined")
                        .path("member").path("id").asText();
                assertThrows(RecorderLimitException.class, () -> recorder.record("ws://127.0.0.1:" + server.port(),
                        mediaToken), "max rooms is 1");

                // the room announces the recorder before the recorder has handled its own welcome: wait for that
                rec.joined().get(10, TimeUnit.SECONDS);
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

    /**
     * The reconnect rules' other half (ReconnectRules, as js/socket.js): a final refusal ends the recorder instead
     * of a retry. Kicked (4408): it stops, frees its room slot, and never comes back into the room.
     */
    @Test
    void aKickedRecorderStopsForGoodInsteadOfReconnecting() throws Exception {
        try (TestServer server = TestServer.start(data, "--max-messages-per-second", "1000", "--message-burst", "1000");
             MediaRecorder recorder = new MediaRecorder(data, 1, ConsentPolicy.everyone())) {
            JsonNode room = server.createRoom("{\"performers\":[\"Ana\"],\"recorders\":0}");
            String roomId = room.path("room").path("id").asText();
            try (TestClient mod = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                    .path("token").asText()))) {
                MediaRecorderPeer rec = recorder.record("ws://127.0.0.1:" + server.port(),
                        MediaLinks.mediaRecorderToken(server, roomId));
                JsonNode joined = mod.await(MediaLinks::mediaRecorderJoined, "the media recorder joined");
                assertEquals("recorder", joined.path("member").path("role").asText());
                String recId = joined.path("member").path("id").asText();
                mod.send("{\"type\":\"kick\",\"target\":\"" + recId + "\"}");
                // a recorder that retried would be refused again and again and never finish
                rec.finished().get(10, TimeUnit.SECONDS);
                assertEquals(0, recorder.activeRooms(), "the slot is free again");
            }
        }
    }

    private static boolean isPresence(JsonNode m, String id, boolean connected) {
        return m.path("type").asText().equals("presence") && m.path("id").asText().equals(id)
                && m.path("connected").asBoolean() == connected;
    }
}
