package dev.improv.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A studio backend mints its own links: a JWT made without the server's JWT library (JDK HMAC + base64url) joins a
 * real server; the page's {@code /api/token-info} tells what the link is; a key rotation through the key file and
 * {@code POST /api/keys/reload} retires the studio's old key.
 */
@Tag("integration")
class JwtJoinEndToEndTest {
    static final String OLD_SECRET = "studio secret of november, 32 chars+";
    static final String NEW_SECRET = "studio secret of december, 32 chars+";
    /** A key in every version of the key file, for the test that does not rotate. */
    static final String STEADY = "\"steady\":\"a steady secret for the join test, 32+\"";
    @TempDir
    static Path data;
    static Path keyFile;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        keyFile = data.resolve("keys.json");
        writeKeys("{\"signing\":\"studio-11\",\"keys\":{" + STEADY + ",\"studio-11\":\"" + OLD_SECRET + "\"}}");
        server = TestServer.start(data.resolve("server"), "--token-keys", keyFile.toString(),
                "--token-accepted-issuers", "studio-backend", "--token-audience", "improv-test");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static void writeKeys(String json) throws Exception {
        Files.writeString(keyFile, json);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    }

    static String studioToken(String kid, String secret, String room, String role, String sub) {
        long now = System.currentTimeMillis() / 1000;
        return HandMadeJwt.hs256(kid, "{\"iss\":\"studio-backend\",\"aud\":\"improv-test\",\"sub\":\"" + sub
                + "\",\"iat\":" + now + ",\"nbf\":" + now + ",\"exp\":" + (now + 600) + ",\"room\":\"" + room
                + "\",\"role\":\"" + role + "\",\"name\":\"Studio " + sub + "\",\"scope\":\"join ice\"}", secret);
    }

    static HttpResponse<String> tokenInfo(String token) throws Exception {
        return server.request("GET", "/api/token-info?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
                null, null);
    }

    @Test
    void independentlyMintedTokenJoinsAndThePageLearnsItsLink() throws Exception {
        String room = server.createRoom("{}").path("room").path("id").asText();
        String token = studioToken("steady", "a steady secret for the join test, 32+", room, "performer",
                "booking-4711");
        try (TestClient c = TestClient.join(server.wsUrl(room, token))) {
            assertEquals("booking-4711", c.welcomeId());
        }
        HttpResponse<String> info = tokenInfo(token);
        assertEquals(200, info.statusCode(), info.body());
        JsonNode body = ProtocolCodec.mapper().readTree(info.body());
        assertEquals(room, body.path("room").asText());
        assertEquals("performer", body.path("role").asText());
        assertEquals("Studio booking-4711", body.path("name").asText());
        assertEquals("perform.html", body.path("page").asText());

        String forged = studioToken("steady", "not the studio's secret, but 32 chars", room, "moderator", "x");
        HttpResponse<String> refused = tokenInfo(forged);
        assertEquals(401, refused.statusCode());
        assertEquals("signature", ProtocolCodec.mapper().readTree(refused.body()).path("reason").asText());
        try (TestClient c = TestClient.connect(server.wsUrl(room, forged))) {
            assertEquals("TOKEN_INVALID", c.await("error").path("code").asText());
        }
        // the server's own links are JWTs of this server's issuer and audience
        String own = TestServer.link(server.createRoom("{}"), "moderator", 0).path("token").asText();
        assertEquals("moderate.html", ProtocolCodec.mapper().readTree(tokenInfo(own).body()).path("page").asText());
    }

    @Test
    void rotationThroughTheKeyFileRetiresTheOldKey() throws Exception {
        String room = server.createRoom("{}").path("room").path("id").asText();
        String oldToken = studioToken("studio-11", OLD_SECRET, room, "observer", "o-1");
        assertEquals(200, tokenInfo(oldToken).statusCode());

        // add the new key and sign with it; the old one still verifies
        writeKeys("{\"signing\":\"studio-12\",\"keys\":{" + STEADY + ",\"studio-11\":\"" + OLD_SECRET + "\",\"studio-12\":\""
                + NEW_SECRET + "\"}}");
        HttpResponse<String> reloaded = server.admin("POST", "/api/keys/reload", null);
        assertEquals(200, reloaded.statusCode(), reloaded.body());
        assertEquals("studio-12", ProtocolCodec.mapper().readTree(reloaded.body()).path("signing").asText());
        assertFalse(reloaded.body().contains(NEW_SECRET));
        String newToken = studioToken("studio-12", NEW_SECRET, room, "observer", "o-2");
        assertEquals(200, tokenInfo(oldToken).statusCode());
        assertEquals(200, tokenInfo(newToken).statusCode());

        // a broken key file is refused and the keys in force stay
        writeKeys("{\"signing\":\"nope\",\"keys\":{}}");
        HttpResponse<String> bad = server.admin("POST", "/api/keys/reload", null);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("'signing'"), bad.body());
        assertEquals(200, tokenInfo(newToken).statusCode());

        // retire the old key
        writeKeys("{\"signing\":\"studio-12\",\"keys\":{" + STEADY + ",\"studio-12\":\"" + NEW_SECRET + "\"},\"retired\":[\"studio-11\"]}");
        assertEquals(200, server.admin("POST", "/api/keys/reload", null).statusCode());
        HttpResponse<String> retired = tokenInfo(oldToken);
        assertEquals(401, retired.statusCode());
        assertEquals("retired_key", ProtocolCodec.mapper().readTree(retired.body()).path("reason").asText());
        try (TestClient c = TestClient.connect(server.wsUrl(room, oldToken))) {
            JsonNode error = c.await("error");
            assertEquals("TOKEN_INVALID", error.path("code").asText());
            assertTrue(error.path("message").asText().contains("retired"), error.toString());
        }
        try (TestClient c = TestClient.join(server.wsUrl(room, newToken))) {
            assertEquals("o-2", c.welcomeId());
        }
        assertEquals(401, server.request("POST", "/api/keys/reload", null, "wrong key").statusCode());
        String listing = server.admin("GET", "/api/keys", null).body();
        assertFalse(listing.contains(NEW_SECRET), listing);
    }
}
