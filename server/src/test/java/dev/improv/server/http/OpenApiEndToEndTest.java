package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.OpenApiContract;
import dev.improv.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/openapi.json is what a server with every feature serves at /api/openapi.json (with
 * {@code -Dopenapi.regenerate=true} the test writes it first), and every operation it describes answers as
 * described: each call below goes through {@link TestServer#request}, which checks the answer against the
 * committed document, and the test then demands that every documented operation was checked at least once.
 */
@Tag("integration")
class OpenApiEndToEndTest {
    private static final boolean REGENERATE = Boolean.getBoolean("openapi.regenerate");

    @TempDir
    Path data;

    /** A server with every feature that adds admin routes: the session log and webhooks. */
    private TestServer fullServer() throws Exception {
        Path hooks = data.resolve("webhooks.json");
        Files.writeString(hooks, "{\"endpoints\":[{\"id\":\"studio\",\"url\":\"http://127.0.0.1:9/hooks\","
                + "\"secret\":\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\",\"events\":[\"room.started\"]}]}");
        Files.setPosixFilePermissions(hooks, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return TestServer.startWithLog(data.resolve("data"), "--no-media-recorder", "--webhooks", hooks.toString(),
                "--webhook-retry-base-ms", "60000");
    }

    @Test
    void theCommittedDocumentIsWhatTheServerServes() throws Exception {
        try (TestServer server = fullServer()) {
            Path committed = OpenApiContract.repoRoot().resolve(OpenApiDocument.PATH);
            if (REGENERATE) {
                Files.writeString(committed, OpenApiDocument.text(server.server().routes()), StandardCharsets.UTF_8);
            }
            var served = server.request("GET", OpenApiDocument.ROUTE, null, null);
            assertEquals(200, served.statusCode());
            String text = Files.exists(committed) ? Files.readString(committed, StandardCharsets.UTF_8) : "(missing)";
            assertEquals(text, served.body(), OpenApiDocument.PATH + " differs from what the server serves; "
                    + "regenerate it (README: OpenAPI) and commit the result");
        }
    }

    @Test
    void everyDocumentedOperationAnswersAsDocumented() throws Exception {
        try (TestServer server = fullServer()) {
            // rooms
            JsonNode created = server.createRoom("{\"name\":\"Contract\",\"performers\":[\"Ana\",null]}");
            String room = created.path("room").path("id").asText();
            String session = created.path("room").path("sessionId").asText();
            server.admin("GET", "/api/rooms", null);
            server.admin("GET", "/api/rooms/" + room, null);
            server.admin("GET", "/api/rooms/nope", null);
            server.admin("POST", "/api/rooms/" + room + "/links", "{\"role\":\"observer\",\"name\":\"Obs\"}");
            server.admin("POST", "/api/rooms/" + room + "/links", "{\"role\":\"boss\"}");
            server.admin("POST", "/api/rooms", "{\"ttlSeconds\":-1}");
            server.request("GET", "/api/rooms", null, "wrong-key");
            // local takes (docs/recording.md): stage consent, status, one chunk for a take that does not exist
            String ana = TestServer.link(created, "performer", 0).path("token").asText();
            server.request("GET", "/api/stage/consent?token=" + ana, null, null);
            server.request("POST", "/api/stage/consent?token=" + ana, "{\"version\":1,\"agree\":true}", null);
            server.request("GET", "/api/takes/status?token=" + ana, null, null);
            server.requestBytes("PUT", "/api/takes/" + room + "-1/tracks/p-x/chunks/0?token=" + ana + "&sha256="
                    + "0".repeat(64) + "&sample=0&clientUs=1", new byte[2], "application/octet-stream");
            // pools
            server.admin("POST", "/api/pools", "{\"id\":\"contract\",\"consentVersion\":1,\"consentText\":\"ok\"}");
            server.admin("POST", "/api/pools", "{\"id\":\"contract\",\"consentVersion\":1,\"consentText\":\"ok\"}");
            server.admin("GET", "/api/pools", null);
            server.admin("GET", "/api/pools/contract", null);
            server.admin("GET", "/api/pools/none", null);
            String lobbyToken = java.net.URLEncoder.encode(ProtocolCodec.mapper().readTree(server.admin("POST",
                    "/api/pools/contract/links", "{\"role\":\"performer\"}").body()).path("token").asText(),
                    StandardCharsets.UTF_8);
            server.admin("GET", "/api/pools/contract/time", null);
            server.admin("GET", "/api/pools/contract/pay", null);
            server.admin("GET", "/api/pools/contract/pay.csv", null);
            server.admin("GET", "/api/pools/contract/performers/p-unknown/time", null);
            // keys
            server.admin("GET", "/api/keys", null);
            server.admin("POST", "/api/keys/reload", null);
            // sessions: the room's session, open and then closed
            server.admin("GET", "/api/sessions", null);
            server.admin("GET", "/api/sessions/" + session, null);
            server.admin("DELETE", "/api/rooms/" + room, null);
            server.admin("DELETE", "/api/rooms/" + room, null);
            server.admin("GET", "/api/sessions/" + session + "/log", null);
            server.admin("GET", "/api/sessions/" + session + "/dataset", null);
            server.admin("GET", "/api/sessions/no-such-session", null);
            server.admin("GET", "/api/sessions/bad%20id", null);
            // consent and dataset exports
            server.admin("POST", "/api/consent/texts", "{\"version\":1,\"text\":\"ok\",\"scopes\":[\"training\"]}");
            server.admin("GET", "/api/consent/texts", null);
            server.admin("POST", "/api/consent/withdrawals", "{\"pid\":\"p-x\",\"scopes\":[\"synthetic_voice\"]}");
            server.admin("GET", "/api/consent/withdrawals", null);
            server.request("GET", "/api/consent/mine?token=" + lobbyToken, null, null);
            server.request("GET", "/api/pay/mine?token=" + lobbyToken, null, null);
            server.request("POST", "/api/consent/mine/withdrawals?token=" + lobbyToken, "{}", null);
            server.admin("POST", "/api/exports", "{\"sessions\":[\"nope\"]}");
            server.admin("GET", "/api/exports", null);
            server.admin("GET", "/api/exports/nope", null);
            // webhooks: the room.started of the room above waits for its retry (the endpoint is a closed port)
            assertEquals(201, server.admin("POST", "/api/webhooks", "{\"id\":\"backend\",\"url\":"
                    + "\"http://127.0.0.1:9/b\",\"events\":[\"room.ended\"]}").statusCode());
            server.admin("POST", "/api/webhooks", "{\"id\":\"backend\",\"url\":\"http://127.0.0.1:9/b\","
                    + "\"events\":[\"*\"]}"); // 409
            server.admin("POST", "/api/webhooks", "{\"id\":\"b2\",\"url\":\"mailto:x\",\"events\":[\"*\"]}");
            server.admin("DELETE", "/api/webhooks/studio", null); // 409: from the file
            server.admin("DELETE", "/api/webhooks/backend", null);
            server.admin("DELETE", "/api/webhooks/backend", null); // 404
            var hooks = server.admin("GET", "/api/webhooks", null);
            assertTrue(hooks.body().contains("\"id\":\"studio\"") && !hooks.body().contains("whsec_"),
                    hooks.body());
            // operators
            server.request("GET", "/healthz", null, null);
            server.request("GET", "/metrics", null, null);
            server.request("GET", OpenApiDocument.ROUTE, null, null);

            Set<String> checked = OpenApiContract.checked();
            List<String> unchecked = new ArrayList<>();
            JsonNode doc = ProtocolCodec.mapper().readTree(Files.readString(
                    OpenApiContract.repoRoot().resolve(OpenApiDocument.PATH)));
            for (Iterator<String> paths = doc.path("paths").fieldNames(); paths.hasNext(); ) {
                String path = paths.next();
                for (Iterator<String> methods = doc.path("paths").path(path).fieldNames(); methods.hasNext(); ) {
                    String op = methods.next().toUpperCase(Locale.ROOT) + " " + path + " ";
                    if (checked.stream().noneMatch(c -> c.startsWith(op))) {
                        unchecked.add(op.trim());
                    }
                }
            }
            assertEquals(List.of(), unchecked, "documented operations no answer was checked for; checked: " + checked);
            assertTrue(checked.contains("GET /api/rooms 401"), checked.toString());
            assertTrue(checked.contains("POST /api/rooms 400"), checked.toString());
            assertTrue(checked.contains("GET /api/sessions/{id}/log 200"), checked.toString());
        }
    }
}
