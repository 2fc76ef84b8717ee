package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's findings that had only unit tests, against a running server with real sockets: the numeric edges
 * (10), marks before any time sync (their clock window), {@code /api/ice} only for current members of a live room
 * (9), and the smaller ones of 12: the security headers on pages, the Origin rule against the DNS-rebinding shape,
 * symbolic links under the data dir, an observer's time-sync report, the token signature's unused low bits. Each
 * also checks that the room it ran in still works.
 */
@Tag("integration")
class IssueFindingsEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startWithLog(data, "--fsync", "OFF");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String url(JsonNode room, String role, int index) {
        return server.wsUrl(room.path("room").path("id").asText(), TestServer.link(room, role, index).path("token")
                .asText());
    }

    private static JsonNode error(TestClient c, String cid) {
        return c.await(m -> m.path("type").asText().equals("error") && m.path("cid").asText().equals(cid),
                "error for " + cid);
    }

    private static void assertRefused(TestClient c, String cid, String field) {
        JsonNode e = error(c, cid);
        assertEquals("INVALID_FIELD", e.path("code").asText(), e.toString());
        assertEquals(field, e.path("field").asText(), e.toString());
    }

    private static void assertRoomWorks(TestClient mod, TestClient performer) {
        String text = "still here " + System.nanoTime();
        mod.send("{\"type\":\"prompt\",\"text\":\"" + text + "\"}");
        performer.await(m -> m.path("type").asText().equals("prompt") && m.path("text").asText().equals(text),
                "the prompt after the edge cases");
    }

    @Test
    void numbersAtTheirEdgesAreRefusedNamingTheirField() throws Exception {
        JsonNode room = server.createRoom("{}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             TestClient ana = TestClient.join(url(room, "performer", 0))) {
            String modId = mod.welcomeId();
            long now = System.currentTimeMillis() * 1000;
            ana.send("{\"type\":\"time_sync_report\",\"clientTs\":" + (now - 2000) + ",\"serverRecvTs\":" + (now - 1500)
                    + ",\"serverSendTs\":" + (now - 1400) + ",\"clientRecvTs\":" + (now - 900) + ",\"cid\":\"sync\"}");
            ana.await(m -> m.path("cid").asText().equals("sync"), "the time sync's answer");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":9223372036854775807,\"cid\":\"max\"}");
            assertRefused(ana, "max", "clientTs");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"cid\":\"digits\",\"clientTs\":" + "9".repeat(1001)
                    + "}");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> ana.ofType("error").size() == 2);
            assertEquals("clientTs", ana.ofType("error").get(1).path("field").asText(),
                    "a 1001-digit number names its field: " + ana.ofType("error").get(1));
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1.5,\"cid\":\"frac\"}");
            assertRefused(ana, "frac", "clientTs");
            mod.send("{\"type\":\"prompt\",\"text\":\"x\",\"durationMs\":2.5,\"cid\":\"dur\"}");
            assertRefused(mod, "dur", "durationMs");
            ana.send("{\"type\":\"signal\",\"to\":\"" + modId + "\",\"kind\":\"offer\",\"data\":{\"n\":1e400},"
                    + "\"cid\":\"inf\"}");
            assertRefused(ana, "inf", "data");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":" + (now + 1000) + ",\"cid\":\"ok\"}");
            JsonNode mark = mod.await(m -> m.path("type").asText().equals("mark"), "the mark within range");
            assertTrue(mark.path("serverTs").asLong() > 0, "a sane server time: " + mark);
            assertTrue(mod.ofType("signal").isEmpty(), "the non-finite signal was not relayed");
            assertRoomWorks(mod, ana);
            try (TestClient far = TestClient.connect(url(room, "performer", 1) + "&lastSeq=9223372036854775807")) {
                JsonNode refused = far.await("error");
                assertEquals("lastSeq", refused.path("field").asText(), refused.toString());
                assertEquals(4400, far.awaitClose());
            }
        }
        HttpResponse<String> link = server.admin("POST", "/api/rooms/" + room.path("room").path("id").asText()
                + "/links", "{\"role\":\"performer\",\"ttlSeconds\":9223372036854775000}");
        assertEquals(400, link.statusCode(), link.body());
        assertEquals("ttlSeconds", ProtocolCodec.mapper().readTree(link.body()).path("field").asText(), link.body());
    }

    @Test
    void marksBeforeAnyTimeSyncKeepToTheClockTheFirstOneSet() throws Exception {
        JsonNode room = server.createRoom("{}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             TestClient ana = TestClient.join(url(room, "performer", 0))) {
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1000,\"cid\":\"first\"}");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_end\",\"clientTs\":3000000,\"cid\":\"second\"}");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":9007199254740991,\"cid\":\"jump\"}");
            assertRefused(ana, "jump", "clientTs");
            assertTrue(error(ana, "jump").path("message").asText().contains("no time_sync yet"), error(ana, "jump").toString());
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("mark").size() == 2);
            assertTrue(mod.ofType("mark").stream().noneMatch(m -> m.hasNonNull("serverTs")), "unsynced: no server time");
            assertRoomWorks(mod, ana);
        }
    }

    @Test
    void iceServersOnlyForCurrentMembersOfALiveRoom() throws Exception {
        JsonNode room = server.createRoom("{}");
        String roomId = room.path("room").path("id").asText();
        String anaToken = TestServer.link(room, "performer", 0).path("token").asText();
        String benToken = TestServer.link(room, "performer", 1).path("token").asText();
        assertEquals(403, server.request("GET", "/api/ice?token=" + anaToken, null, null).statusCode(),
                "not joined yet");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             TestClient ana = TestClient.join(url(room, "performer", 0));
             TestClient ben = TestClient.join(url(room, "performer", 1))) {
            assertEquals(200, server.request("GET", "/api/ice?token=" + anaToken, null, null).statusCode());
            mod.send("{\"type\":\"kick\",\"target\":\"" + ana.welcomeId() + "\",\"reason\":\"test\"}");
            assertEquals(4408, ana.awaitClose());
            assertEquals(403, server.request("GET", "/api/ice?token=" + anaToken, null, null).statusCode(),
                    "a kicked member gets no credentials");
            assertEquals(200, server.request("GET", "/api/ice?token=" + benToken, null, null).statusCode());
            assertRoomWorks(mod, ben);
            assertEquals(2, server.admin("DELETE", "/api/rooms/" + roomId, null).statusCode() / 100);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(ben::isClosed);
            assertEquals(403, server.request("GET", "/api/ice?token=" + benToken, null, null).statusCode(),
                    "nor does a member of a deleted room");
        }
    }

    @Test
    void pagesAndAnswersCarryTheSecurityHeaders() throws Exception {
        for (String path : new String[] {"/", "/perform.html", "/healthz", "/api/rooms"}) {
            HttpResponse<String> r = server.request("GET", path, null, null);
            assertEquals("DENY", r.headers().firstValue("x-frame-options").orElse(null), path);
            assertEquals("no-referrer", r.headers().firstValue("referrer-policy").orElse(null), path);
            String csp = r.headers().firstValue("content-security-policy").orElse("");
            assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), path + ": " + csp);
        }
    }

    @Test
    void anotherHostsOriginIsRefusedEvenWhenHostMatchesIt() throws Exception {
        JsonNode room = server.createRoom("{}");
        String path = "/ws/rooms/" + room.path("room").path("id").asText() + "?token="
                + TestServer.link(room, "performer", 0).path("token").asText();
        try (RawWebSocket raw = RawWebSocket.tcp(server.port(), 0)) {
            raw.writeRaw("GET " + path + " HTTP/1.1\r\nHost: evil.example\r\nOrigin: http://evil.example\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n\r\n");
            raw.readTimeout(10_000);
            String head = raw.readHttpHead();
            assertTrue(head.startsWith("HTTP/1.1 403"), head);
        }
        try (TestClient ok = TestClient.join(server.wsUrl(room.path("room").path("id").asText(),
                TestServer.link(room, "performer", 0).path("token").asText()))) {
            assertTrue(!ok.welcomeId().isEmpty(), "a page of this server joins");
        }
    }

    @Test
    void aSymbolicLinkInTheDataDirIsNotServed() throws Exception {
        JsonNode room = server.createRoom("{}");
        String roomId = room.path("room").path("id").asText();
        String session = room.path("room").path("sessionId").asText();
        try (TestClient mod = TestClient.join(url(room, "moderator", 0))) {
            mod.send("{\"type\":\"prompt\",\"text\":\"logged\"}");
            mod.await("prompt");
        }
        assertEquals(2, server.admin("DELETE", "/api/rooms/" + roomId, null).statusCode() / 100);
        Path events = data.resolve("sessions").resolve(session).resolve("events.jsonl");
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> Files.exists(events));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() ->
                server.admin("GET", "/api/sessions/" + session + "/log", null).statusCode() == 200);
        Path outside = Files.createDirectories(data.getParent().resolve("outside-" + System.nanoTime()));
        Path secret = Files.writeString(outside.resolve("secret.jsonl"), "{\"type\":\"secret\",\"seq\":1}\n");
        Files.delete(events);
        Files.createSymbolicLink(events, secret);
        HttpResponse<String> linked = server.admin("GET", "/api/sessions/" + session + "/log", null);
        assertEquals(404, linked.statusCode(), linked.body());
        assertTrue(!linked.body().contains("secret"), linked.body());
    }

    @Test
    void anObserversTimeSyncReportMakesNoRoomEvent() throws Exception {
        JsonNode room = server.createRoom("{\"observers\":1}");
        try (TestClient mod = TestClient.join(url(room, "moderator", 0));
             TestClient ana = TestClient.join(url(room, "performer", 0));
             TestClient watcher = TestClient.join(url(room, "observer", 0))) {
            long now = System.currentTimeMillis() * 1000;
            watcher.send("{\"type\":\"time_sync_report\",\"clientTs\":" + (now - 2000) + ",\"serverRecvTs\":"
                    + (now - 1500) + ",\"serverSendTs\":" + (now - 1400) + ",\"clientRecvTs\":" + (now - 900)
                    + ",\"cid\":\"obs\"}");
            watcher.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("obs"),
                    "a plain ack");
            assertRoomWorks(mod, ana);
            assertTrue(mod.ofType("clock").isEmpty(), "no clock event from an observer: " + mod.ofType("clock"));
        }
    }

    @Test
    void aTokenWhoseSignatureDiffersOnlyInItsUnusedLowBitsIsRefused() throws Exception {
        JsonNode room = server.createRoom("{}");
        String token = TestServer.link(room, "performer", 0).path("token").asText();
        char last = token.charAt(token.length() - 1);
        // the last base64url character of a 32-byte signature carries 4 bits and 2 unused ones: flip an unused one
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char twin = alphabet.charAt(alphabet.indexOf(last) ^ 1);
        String tampered = token.substring(0, token.length() - 1) + twin;
        try (TestClient c = TestClient.connect(server.wsUrl(room.path("room").path("id").asText(), tampered))) {
            JsonNode refused = c.await("error");
            assertEquals("TOKEN_INVALID", refused.path("code").asText(), refused.toString());
            assertEquals(4401, c.awaitClose());
        }
    }
}
