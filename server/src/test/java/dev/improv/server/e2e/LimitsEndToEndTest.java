package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.protocol.Role;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens, origins and every configured limit, each against a real server with small limits. */
@Tag("integration")
class LimitsEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data, "--max-messages-per-second", "20", "--message-burst", "20",
                "--max-message-bytes", "4096", "--max-performers", "2", "--max-members-per-room", "4",
                "--join-timeout-ms", "700", "--idle-timeout-ms", "1500", "--ping-interval-ms", "400",
                "--write-buffer-high-water", "65536", "--resume-window-ms", "400",
                "--allowed-origins", "https://studio.example");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonNode newRoom(String body) throws Exception {
        return server.createRoom(body);
    }

    static String url(JsonNode room, String role, int i) {
        return server.wsUrl(room.path("room").path("id").asText(), TestServer.link(room, role, i).path("token").asText());
    }

    static void assertRefused(String url, String code, int closeCode) {
        try (TestClient c = TestClient.connect(url)) {
            JsonNode error = c.await("error");
            assertEquals(code, error.path("code").asText());
            assertFalse(error.path("message").asText().isBlank());
            assertEquals(closeCode, c.awaitClose());
        }
    }

    @Test
    void badTokensAreRefusedWithAReason() throws Exception {
        JsonNode room = newRoom("{}");
        String id = room.path("room").path("id").asText();
        String good = TestServer.link(room, "performer", 0).path("token").asText();
        String tampered = good.substring(0, good.length() - 2) + (good.endsWith("AA") ? "BB" : "AA");
        assertRefused(server.wsUrl(id, tampered), "TOKEN_INVALID", 4401);
        assertRefused(server.wsUrl(id, ""), "TOKEN_INVALID", 4401);
        String expired = server.server().parts().tokens().issue(JoinClaims.forRoom(id, Role.PERFORMER, "p-old", "Old",
                System.currentTimeMillis() / 1000 - 10));
        assertRefused(server.wsUrl(id, expired), "TOKEN_EXPIRED", 4402);
        JsonNode other = newRoom("{}");
        assertRefused(server.wsUrl(other.path("room").path("id").asText(), good), "TOKEN_WRONG_ROOM", 4403);
        String ghost = server.server().parts().tokens().issue(JoinClaims.forRoom("nosuchroom", Role.PERFORMER, "p-x",
                "X", System.currentTimeMillis() / 1000 + 60));
        assertRefused(server.wsUrl("nosuchroom", ghost), "ROOM_NOT_FOUND", 4404);
    }

    @Test
    void foreignOriginsAreRefusedBeforeTheUpgrade() throws Exception {
        JsonNode room = newRoom("{}");
        CompletionException refused = assertThrows(CompletionException.class,
                () -> TestClient.connect(url(room, "performer", 0), "https://evil.example"));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class,
                refused.getCause(), "refused at the upgrade, not by a connection failure");
        assertEquals(403, handshake.getResponse().statusCode());
        try (TestClient ok = TestClient.connect(url(room, "performer", 0), "https://studio.example")) {
            ok.await("welcome");
        }
    }

    @Test
    void roomAndRoleCapacity() throws Exception {
        JsonNode room = newRoom("{\"performers\":3,\"moderators\":2,\"recorders\":1}");
        try (TestClient a = TestClient.join(url(room, "performer", 0));
             TestClient b = TestClient.join(url(room, "performer", 1))) {
            assertRefused(url(room, "performer", 2), "ROLE_FULL", 4406);
            try (TestClient m1 = TestClient.join(url(room, "moderator", 0));
                 TestClient m2 = TestClient.join(url(room, "moderator", 1))) {
                assertRefused(url(room, "recorder", 0), "ROOM_FULL", 4405);
            }
        }
    }

    @Test
    void floodingIsRateLimitedWithoutHurtingTheRoom() throws Exception {
        JsonNode room = newRoom("{}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             TestClient flood = TestClient.join(url(room, "performer", 0));
             TestClient calm = TestClient.join(url(room, "performer", 1))) {
            for (int i = 0; i < 200; i++) {
                flood.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":" + (i + 1) + "}");
            }
            JsonNode limited = flood.await(m -> "RATE_LIMITED".equals(m.path("code").asText()), "rate limit error");
            assertEquals("error", limited.path("type").asText());
            assertFalse(flood.isClosed());
            Awaitility.await().during(300, TimeUnit.MILLISECONDS).atMost(5, TimeUnit.SECONDS)
                    .until(() -> mod.ofType("mark").size() >= 20);
            assertTrue(mod.ofType("mark").size() < 200, "dropped marks did not reach the room");
            mod.send("{\"type\":\"prompt\",\"text\":\"the others are fine\"}");
            calm.await("prompt");
            assertTrue(server.metrics().contains("improv_errors_total{code=\"rate_limited\"}"));
        }
    }

    @Test
    void oversizedMessagesGetAnErrorAndTheConnectionStays() throws Exception {
        JsonNode room = newRoom("{}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0))) {
            mod.send("{\"type\":\"prompt\",\"text\":\"" + "x".repeat(5000) + "\"}");
            assertEquals("MESSAGE_TOO_LARGE", mod.await("error").path("code").asText());
            mod.send("{\"type\":\"scene_start\"}");
            mod.await("scene_started");
        }
    }

    @Test
    void aSlowConsumerIsCutOffInsteadOfGrowingMemory() throws Exception {
        JsonNode room = newRoom("{}");
        String roomId = room.path("room").path("id").asText();
        String token = TestServer.link(room, "performer", 0).path("token").asText();
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             RawWebSocket slow = RawWebSocket.open(server.port(), "/ws/rooms/" + roomId + "?token=" + token, 4096)) {
            String slowId = TestServer.link(room, "performer", 0).path("participantId").asText();
            mod.await(m -> m.path("type").asText().equals("member_joined")
                    && m.path("member").path("id").asText().equals(slowId), "slow member joined");
            String text = "y".repeat(1900);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int sent = 0;
            while (System.nanoTime() < deadline && sent < 20_000 && mod.ofType("presence").isEmpty()) {
                for (int i = 0; i < 15; i++) {
                    mod.send("{\"type\":\"prompt\",\"text\":\"" + text + "\"}");
                    sent++;
                }
                Thread.sleep(1000); // stay inside the moderator's own rate limit (20/s)
            }
            JsonNode dropped = mod.await(m -> m.path("type").asText().equals("presence")
                    && m.path("id").asText().equals(slowId) && !m.path("connected").asBoolean(), "slow member cut off");
            assertEquals(slowId, dropped.path("id").asText());
            assertTrue(server.metrics().contains("improv_errors_total{code=\"slow_consumer\"}"));
            assertFalse(mod.isClosed(), "the moderator is unaffected");
        }
    }

    @Test
    void connectionsThatNeverJoinAreClosedAfterTheJoinTimeout() throws Exception {
        try (RawWebSocket silent = RawWebSocket.tcp(server.port(), 0)) {
            silent.writeRaw("GET /ws/rooms/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n"); // never finishes the request
            assertTrue(silent.closedByServer());
        }
    }

    @Test
    void pingKeepsLiveClientsAndIdleTimeoutClosesSilentOnes() throws Exception {
        JsonNode room = newRoom("{}");
        String roomId = room.path("room").path("id").asText();
        try (TestClient live = TestClient.join(url(room, "moderator", 0));
             RawWebSocket deaf = RawWebSocket.open(server.port(), "/ws/rooms/" + roomId + "?token="
                     + TestServer.link(room, "performer", 0).path("token").asText(), 0)) {
            // the raw client reads frames (pings among them) but never answers: closed with IDLE_TIMEOUT
            assertEquals(4411, deaf.readUntilClose());
            assertFalse(live.isClosed(), "a client that answers pings (the JDK's does) stays");
            live.send("{\"type\":\"lock\",\"locked\":false}");
            live.await("room_locked");
        }
    }

    @Test
    void afterTheResumeWindowAMemberHasLeft() throws Exception {
        JsonNode room = newRoom("{}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0))) {
            TestClient ana = TestClient.join(url(room, "performer", 0));
            String anaId = ana.welcomeId();
            ana.abort();
            JsonNode left = mod.await("member_left");
            assertEquals(anaId, left.path("id").asText());
            assertEquals("resume window expired", left.path("reason").asText());
            try (TestClient again = TestClient.join(url(room, "performer", 0))) {
                assertFalse(again.await("welcome").path("resumed").asBoolean());
            }
        }
    }

    @Test
    void adminApiNeedsTheKeyAndNamesBadFields() throws Exception {
        HttpResponse<String> noKey = server.request("POST", "/api/rooms", "{}", null);
        assertEquals(401, noKey.statusCode());
        HttpResponse<String> wrongKey = server.request("GET", "/api/rooms", null, "nope");
        assertEquals(401, wrongKey.statusCode());
        HttpResponse<String> bad = server.admin("POST", "/api/rooms", "{\"performers\":\"many\"}");
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("\"field\":\"performers\""), bad.body());
        assertEquals(400, server.admin("POST", "/api/rooms", "{not json").statusCode());
        assertEquals(200, server.request("GET", "/healthz", null, null).statusCode());
        JsonNode room = newRoom("{\"name\":\"Z\"}");
        String id = room.path("room").path("id").asText();
        HttpResponse<String> link = server.admin("POST", "/api/rooms/" + id + "/links",
                "{\"role\":\"observer\",\"name\":\"Guest\"}");
        assertEquals(201, link.statusCode());
        assertTrue(link.body().contains("\"role\":\"observer\""));
        try (TestClient guest = TestClient.connect(server.wsUrl(id, dev.improv.server.protocol.ProtocolCodec.mapper()
                .readTree(link.body()).path("token").asText()))) {
            guest.await("welcome");
            assertEquals(200, server.admin("DELETE", "/api/rooms/" + id, null).statusCode());
            assertEquals("room_closed", guest.await("room_closed").path("type").asText());
            assertEquals(4413, guest.awaitClose());
        }
        assertEquals(404, server.admin("GET", "/api/rooms/" + id, null).statusCode());
    }
}
