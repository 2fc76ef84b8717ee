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

/**
 * Rooms created with recordMedia, and the rooms of a pool opened with it, get the in-process recorder as a member;
 * the per-process limit is explicit; without a recorder the field is refused.
 */
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

    private static final String RECORDER_MEMBER = "\"name\":\"media-recorder\",\"role\":\"recorder\"";

    /** Two performers queued in {@code pool} accept their offer; returns the room the pool opened for them. */
    private static String matchedRoom(TestServer server, String pool) throws Exception {
        java.util.List<dev.improv.server.testing.TestClient> performers = new java.util.ArrayList<>();
        for (String name : java.util.List.of("A", "B")) {
            JsonNode link = ProtocolCodec.mapper().readTree(server.admin("POST", "/api/pools/" + pool + "/links",
                    "{\"role\":\"performer\",\"name\":\"" + name + "\"}").body());
            dev.improv.server.testing.TestClient c = dev.improv.server.testing.TestClient.connect("ws://127.0.0.1:"
                    + server.port() + "/ws/lobby/" + pool + "?token=" + link.path("token").asText());
            c.await("lobby_welcome");
            c.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
            performers.add(c);
        }
        for (dev.improv.server.testing.TestClient c : performers) {
            c.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + c.await("lobby_offer").path("offerId").asText()
                    + "\"}");
        }
        return performers.get(0).await("lobby_matched").path("roomId").asText();
    }

    @Test
    void aPoolWithRecordMediaRecordsEveryRoomItOpensAndOneWithoutRecordsNone() throws Exception {
        try (TestServer server = TestServer.start(data)) {
            for (String pool : java.util.List.of("recorded", "plain")) {
                HttpResponse<String> opened = server.admin("POST", "/api/pools", "{\"id\":\"" + pool
                        + "\",\"consentVersion\":1,\"consentText\":\"Recorded for AI training.\""
                        + (pool.equals("recorded") ? ",\"recordMedia\":true" : "") + "}");
                assertEquals(201, opened.statusCode(), opened.body());
            }
            String recorded = matchedRoom(server, "recorded");
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> server.admin("GET", "/api/rooms/" + recorded,
                    null).body().contains(RECORDER_MEMBER + ",\"connected\":true"));
            String plain = matchedRoom(server, "plain");
            Thread.sleep(1_000); // the recorder of the other room joined within this much
            String members = server.admin("GET", "/api/rooms/" + plain, null).body();
            assertTrue(!members.contains(RECORDER_MEMBER), "a pool without recordMedia records nothing: " + members);
        }
        try (TestServer off = TestServer.start(data.resolve("off"), "--no-media-recorder")) {
            HttpResponse<String> refused = off.admin("POST", "/api/pools", "{\"id\":\"p\",\"consentVersion\":1,"
                    + "\"consentText\":\"x\",\"recordMedia\":true}");
            assertEquals(400, refused.statusCode());
            assertTrue(refused.body().contains("\"field\":\"recordMedia\""), refused.body());
        }
    }
}
