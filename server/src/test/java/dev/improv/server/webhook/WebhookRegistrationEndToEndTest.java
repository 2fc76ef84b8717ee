package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A studio backend registers its endpoint through the admin API (no file, no restart): the room's events reach
 * it signed with the secret it chose; the registration outlives a restart; removal stops deliveries; bad input is
 * refused naming the field.
 */
@Tag("integration")
class WebhookRegistrationEndToEndTest {
    @TempDir
    Path data;

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return ProtocolCodec.mapper().readTree(r.body());
    }

    static List<String> types(WebhookReceiver receiver) {
        return receiver.received().stream().map(d -> d.path("type").asText()).toList();
    }

    @Test
    void aRegisteredEndpointGetsSignedEventsAcrossARestartUntilItIsRemoved() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 0)) {
            TestServer server = TestServer.start(data);
            try {
                HttpResponse<String> created = server.admin("POST", "/api/webhooks", "{\"id\":\"studio\",\"url\":\""
                        + receiver.url() + "\",\"events\":[\"room.started\",\"participant.joined\"],\"secret\":\""
                        + secret + "\"}");
                assertEquals(201, created.statusCode(), created.body());
                assertFalse(json(created).has("secret"), "a secret the caller chose is not echoed");
                assertEquals("[\"participant.joined\",\"room.started\"]", json(created).path("events").toString());

                JsonNode room = server.createRoom("{\"performers\":[\"Ana\"]}");
                try (TestClient ana = TestClient.join(server.wsUrl(room.path("room").path("id").asText(),
                        TestServer.link(room, "performer", 0).path("token").asText()))) {
                    Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> types(receiver)
                            .containsAll(List.of("room.started", "participant.joined")));
                }
                assertEquals(0, receiver.badSignatures(), "signed with the registered secret");
                JsonNode listed = json(server.admin("GET", "/api/webhooks", null)).path("endpoints");
                assertEquals(1, listed.size());
                assertEquals("api", listed.get(0).path("source").asText());
                assertFalse(listed.get(0).has("secret"));

                // bad input names the field; a second endpoint with the same id is a conflict
                assertRefused(server.admin("POST", "/api/webhooks", "{\"id\":\"x\",\"url\":\"ftp://h/x\","
                        + "\"events\":[\"*\"]}"), 400, "INVALID_FIELD", "url");
                assertRefused(server.admin("POST", "/api/webhooks", "{\"id\":\"x\",\"url\":\"http://127.0.0.1:9/\","
                        + "\"events\":[\"room.exploded\"]}"), 400, "INVALID_FIELD", "events");
                assertRefused(server.admin("POST", "/api/webhooks", "{\"id\":\"a b\",\"url\":\"http://127.0.0.1:9/\","
                        + "\"events\":[\"*\"]}"), 400, "INVALID_FIELD", "id");
                assertRefused(server.admin("POST", "/api/webhooks", "{\"id\":\"x\",\"url\":\"http://127.0.0.1:9/\","
                        + "\"events\":[\"*\"],\"secret\":\"hunter2\"}"), 400, "INVALID_FIELD", "secret");
                assertRefused(server.admin("POST", "/api/webhooks", "{\"id\":\"studio\",\"url\":\""
                        + receiver.url() + "\",\"events\":[\"*\"]}"), 409, "WEBHOOK_EXISTS", "id");
                HttpResponse<String> made = server.admin("POST", "/api/webhooks", "{\"id\":\"spare\",\"url\":"
                        + "\"http://127.0.0.1:9/spare\",\"events\":[\"room.ended\"]}");
                assertEquals(201, made.statusCode(), made.body());
                assertTrue(json(made).path("secret").asText().startsWith("whsec_"), "a made secret is answered once");
            } finally {
                server.close();
            }

            int before = receiver.received().size();
            TestServer again = TestServer.start(data);
            try {
                JsonNode listed = json(again.admin("GET", "/api/webhooks", null)).path("endpoints");
                assertEquals(List.of("studio", "spare"), List.of(listed.get(0).path("id").asText(),
                        listed.get(1).path("id").asText()), "registrations outlive the restart");
                again.createRoom("{\"performers\":[\"Ben\"]}");
                Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> receiver.received().size() > before);

                assertEquals(200, again.admin("DELETE", "/api/webhooks/studio", null).statusCode());
                assertRefused(again.admin("DELETE", "/api/webhooks/studio", null), 404, "WEBHOOK_NOT_FOUND", "id");
                int afterRemoval = receiver.received().size();
                again.createRoom("{\"performers\":[\"Cleo\"]}");
                Thread.sleep(1500); // a delivery would take milliseconds here
                assertEquals(afterRemoval, receiver.received().size(), "nothing after the removal");
                assertEquals(List.of("spare"), json(again.admin("GET", "/api/webhooks", null)).path("endpoints")
                        .findValuesAsText("id"));
                assertFalse(again.metrics().contains("endpoint=\"studio\""), "its meters went with it");
            } finally {
                again.close();
            }
        }
    }

    static void assertRefused(HttpResponse<String> r, int status, String code, String field) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, json(r).path("code").asText(), r.body());
        assertEquals(field, json(r).path("field").asText(), r.body());
    }
}
