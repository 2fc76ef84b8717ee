package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rooms created with recordMedia get the in-process recorder as a member; the per-process limit is explicit. */
@Tag("integration")
class MediaRecordingWiringTest {
    @TempDir
    Path data;

    @Test
    void recordMediaAddsTheRecorderAndTheRoomLimitIsAClearRefusal() throws Exception {
        try (TestServer server = TestServer.start(data, "--media-max-rooms", "1")) {
            HttpResponse<String> first = server.admin("POST", "/api/rooms", "{\"recordMedia\":true}");
            assertEquals(201, first.statusCode(), first.body());
            JsonNode created = ProtocolCodec.mapper().readTree(first.body());
            assertEquals("recording", created.path("media").asText(), first.body());
            String roomId = created.path("room").path("id").asText();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> server.admin("GET", "/api/rooms/" + roomId, null)
                    .body().contains("\"name\":\"media-recorder\",\"role\":\"recorder\",\"connected\":true,"
                            + "\"muted\":false,\"capabilities\":[\"media\"]"));

            HttpResponse<String> second = server.admin("POST", "/api/rooms", "{\"recordMedia\":true}");
            String media = ProtocolCodec.mapper().readTree(second.body()).path("media").asText();
            assertTrue(media.startsWith("failed:") && media.contains("maximum of 1"), second.body());
        }
        try (TestServer off = TestServer.start(data.resolve("off"), "--no-media-recorder")) {
            HttpResponse<String> refused = off.admin("POST", "/api/rooms", "{\"recordMedia\":true}");
            assertEquals(400, refused.statusCode());
            assertTrue(refused.body().contains("\"field\":\"recordMedia\""), refused.body());
        }
    }
}
