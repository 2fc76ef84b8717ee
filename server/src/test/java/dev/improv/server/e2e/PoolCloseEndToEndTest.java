package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code DELETE /api/pools/{id}} on a real server with its log: the queue and the open offer end, every
 * connection is told and closed (4415), the answer is the final time accounting with no interval left open, a pool
 * with an open room refuses (409) until the room is closed, and after a restart a closed pool is gone while a pool
 * opened again under the same id, and one never closed, come back.
 */
@Tag("integration")
class PoolCloseEndToEndTest {
    @TempDir
    Path data;

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return ProtocolCodec.mapper().readTree(r.body());
    }

    private static void open(TestServer server, String id, String extra) throws Exception {
        HttpResponse<String> r = server.admin("POST", "/api/pools", "{\"id\":\"" + id + "\",\"consentVersion\":1,"
                + "\"consentText\":\"Recorded for AI training.\",\"roomSize\":2" + extra + "}");
        assertEquals(201, r.statusCode(), r.body());
    }

    /** A lobby connection of a new performer (queued) or moderator of {@code pool}. */
    private static TestClient connect(TestServer server, String pool, String role, String name) throws Exception {
        JsonNode link = json(server.admin("POST", "/api/pools/" + pool + "/links",
                "{\"role\":\"" + role + "\",\"name\":\"" + name + "\"}"));
        TestClient c = TestClient.connect("ws://127.0.0.1:" + server.port() + "/ws/lobby/" + pool + "?token="
                + link.path("token").asText());
        c.await("lobby_welcome");
        if (role.equals("performer")) {
            c.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
        }
        return c;
    }

    @Test
    void aClosedPoolEndsItsQueueAndOffersTellsEveryoneAndDoesNotComeBack() throws Exception {
        try (TestServer server = TestServer.startWithLog(data)) {
            HttpResponse<String> unknown = server.admin("DELETE", "/api/pools/nope", null);
            assertEquals(404, unknown.statusCode());
            assertEquals("POOL_NOT_FOUND", json(unknown).path("code").asText());
            assertEquals("id", json(unknown).path("field").asText());
            open(server, "kept", "");

            // "closing": two performers hold an offer (a minute to accept), a third waits, a moderator watches
            open(server, "closing", ",\"offerTimeoutMs\":60000");
            List<TestClient> performers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                performers.add(connect(server, "closing", "performer", "P" + i));
            }
            List<TestClient> everyone = new ArrayList<>(performers);
            everyone.add(connect(server, "closing", "moderator", "M")); // gets the offer too if it came in time
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> performers.stream()
                    .filter(c -> !c.ofType("lobby_offer").isEmpty()).count() == 2);
            String offerId = performers.stream().filter(c -> !c.ofType("lobby_offer").isEmpty()).findFirst()
                    .orElseThrow().ofType("lobby_offer").get(0).path("offerId").asText();
            Thread.sleep(50); // some lobby and offer time to close

            HttpResponse<String> closed = server.admin("DELETE", "/api/pools/closing", null);
            assertEquals(200, closed.statusCode(), closed.body());
            JsonNode answer = json(closed);
            assertEquals(4, answer.path("connectionsTold").asInt());
            assertEquals(1, answer.path("offersEnded").asInt());
            assertEquals(3, answer.path("performers").size());
            for (JsonNode p : answer.path("performers")) {
                assertTrue(p.path("lobbyMs").asLong() + p.path("offerMs").asLong() > 0, p.toString());
            }
            for (TestClient c : everyone) {
                if (performers.contains(c) && !c.ofType("lobby_offer").isEmpty()) {
                    JsonNode ended = c.await("lobby_offer_ended");
                    assertEquals(offerId, ended.path("offerId").asText());
                    assertEquals("pool_closed", ended.path("cause").asText());
                    assertFalse(ended.path("requeued").asBoolean());
                }
                assertEquals("the pool was closed by the operator", c.await("lobby_left").path("reason").asText());
                assertEquals(4415, c.awaitClose());
            }
            // the intervals were closed at the close: the statement does not grow afterwards
            Map<String, Long> atClose = totals(answer.path("performers"));
            assertEquals(404, server.admin("GET", "/api/pools/closing", null).statusCode());
            assertEquals(404, server.admin("GET", "/api/pools/closing/time", null).statusCode());
            assertEquals(404, server.admin("DELETE", "/api/pools/closing", null).statusCode());
            open(server, "closing", ""); // the id is free again: a new, empty pool
            assertEquals(0, json(server.admin("GET", "/api/pools/closing", null)).path("waiting").asInt());
            assertFalse(atClose.isEmpty());

            // "busy": a room made by the pool is open; the close is refused until the room is closed
            open(server, "busy", "");
            TestClient a = connect(server, "busy", "performer", "A");
            TestClient b = connect(server, "busy", "performer", "B");
            for (TestClient c : List.of(a, b)) {
                c.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + c.await("lobby_offer").path("offerId").asText()
                        + "\"}");
            }
            String room = a.await("lobby_matched").path("roomId").asText();
            HttpResponse<String> busy = server.admin("DELETE", "/api/pools/busy", null);
            assertEquals(409, busy.statusCode(), busy.body());
            assertEquals("POOL_BUSY", json(busy).path("code").asText());
            assertEquals("id", json(busy).path("field").asText());
            assertTrue(json(busy).path("message").asText().contains(room), busy.body());
            assertEquals(200, server.admin("GET", "/api/pools/busy", null).statusCode(), "a refused close changes nothing");
            assertEquals(200, server.admin("DELETE", "/api/rooms/" + room, null).statusCode());
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> json(server.admin("GET", "/api/pools/busy",
                    null)).path("rooms").isEmpty());
            assertEquals(200, server.admin("DELETE", "/api/pools/busy", null).statusCode());
        }
        // A restart folds the log: the closed pools are gone, the pool opened again and the one never closed are back.
        try (TestServer server = TestServer.startWithLog(data)) {
            List<String> ids = new ArrayList<>();
            json(server.admin("GET", "/api/pools", null)).path("pools").forEach(p -> ids.add(p.path("pool").asText()));
            assertEquals(List.of("closing", "kept"), ids.stream().sorted().toList());
            assertEquals(0, json(server.admin("GET", "/api/pools/closing", null)).path("waiting").asInt());
        }
    }

    private static Map<String, Long> totals(JsonNode performers) {
        Map<String, Long> out = new TreeMap<>();
        performers.forEach(p -> out.put(p.path("pid").asText(), p.path("lobbyMs").asLong() + p.path("offerMs").asLong()));
        return out;
    }
}
