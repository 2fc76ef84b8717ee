package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class ShutdownEndToEndTest {
    @TempDir
    Path data;

    @Test
    void membersGetTheCloseReasonOnShutdown() throws Exception {
        TestServer server = TestServer.start(data);
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        try (TestClient mod = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0).path("token").asText()));
             TestClient ana = TestClient.join(server.wsUrl(id, TestServer.link(room, "performer", 0).path("token").asText()))) {
            mod.send("{\"type\":\"scene_start\"}");
            ana.await("scene_started");
            server.close();
            assertEquals(1, ana.await("scene_ended").path("scene").asInt(), "a running scene is ended on shutdown");
            assertEquals("the server is shutting down", ana.await("room_closed").path("reason").asText());
            assertEquals(1001, ana.awaitClose());
            assertEquals(1001, mod.awaitClose());
        }
    }
}
