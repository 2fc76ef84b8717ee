package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP API against a running server: who gets ICE servers, oversized bodies, headers on the pages. */
@Tag("integration")
class HttpApiEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static int ice(JsonNode created, String role, int i) throws Exception {
        return server.request("GET", "/api/ice?token=" + TestServer.link(created, role, i).path("token").asText(),
                null, null).statusCode();
    }

    private static String ws(JsonNode created, String role, int i) {
        return server.wsUrl(created.path("room").path("id").asText(),
                TestServer.link(created, role, i).path("token").asText());
    }

    @Test
    void iceServersGoOnlyToCurrentMembersOfALiveRoom() throws Exception {
        JsonNode room = server.createRoom("{\"performers\":[\"Ana\",\"Ben\"]}");
        assertEquals(403, ice(room, "performer", 0), "a link alone is not membership");
        try (TestClient mod = TestClient.join(ws(room, "moderator", 0));
             TestClient ana = TestClient.join(ws(room, "performer", 0));
             TestClient ben = TestClient.join(ws(room, "performer", 1))) {
            assertEquals(200, ice(room, "performer", 0));
            assertEquals(200, ice(room, "performer", 1));
            mod.send(new ClientMessage.Kick("k1", ana.welcomeId(), "test"));
            assertEquals(4408, ana.awaitClose());
            mod.await(m -> m.path("type").asText().equals("member_left"), "member_left");
            assertEquals(403, ice(room, "performer", 0), "kicked");
            assertEquals(200, ice(room, "performer", 1));

            assertEquals(200, server.admin("DELETE", "/api/rooms/" + room.path("room").path("id").asText(), null)
                    .statusCode());
            ben.awaitClose();
            assertEquals(403, ice(room, "performer", 1), "the room is gone");
        }
    }

    @Test
    void anOversizedBodyIs413AndTheServerGoesOn() throws Exception {
        String big = "{\"name\":\"" + "x".repeat(70 * 1024) + "\"}";
        HttpResponse<String> r = server.admin("POST", "/api/rooms", big);
        assertEquals(413, r.statusCode());
        assertEquals("MESSAGE_TOO_LARGE", ProtocolCodec.mapper().readTree(r.body()).path("code").asText(), r.body());
        assertEquals(200, server.request("GET", "/healthz", null, null).statusCode());
    }

    @Test
    void aFormBodyIs415AndAJsonOneIsTaken() throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.httpBase() + "/api/rooms"))
                .header("Authorization", "Bearer test-admin-key").timeout(Duration.ofSeconds(10));
        assertEquals(415, HTTP.send(b.copy().header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode());
        HttpResponse<String> ok = HTTP.send(b.copy().header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"J\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, ok.statusCode(), ok.body());
        assertEquals("J", ProtocolCodec.mapper().readTree(ok.body()).path("room").path("name").asText());
    }

    @Test
    void pagesCarryTheSecurityHeaders() throws Exception {
        HttpResponse<String> page = server.request("GET", "/perform.html", null, null);
        assertEquals(200, page.statusCode());
        assertEquals("DENY", page.headers().firstValue("x-frame-options").orElse(""));
        assertEquals("no-referrer", page.headers().firstValue("referrer-policy").orElse(""));
        assertTrue(page.headers().firstValue("content-security-policy").orElse("").contains("script-src 'self'"));
        HttpResponse<String> post = server.request("POST", "/perform.html", "{}", null);
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
    }
}
