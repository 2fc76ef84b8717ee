package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.dataset.ConsentScope;
import dev.improv.server.dataset.Withdrawals;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The webhook kinds of facts beyond the room's membership, against a real local receiver, each signed: consent
 * recorded (on the stage), a live qc flag, take ended, consent withdrawn (admin API; answered once its event is
 * durable), export finished; and after a stop, a withdrawal and an export the outbox never saw (the state a crash
 * between the fact and the outbox's fsync leaves) are delivered at the next start.
 */
@Tag("integration")
class WebhookKindsEndToEndTest {
    @TempDir
    Path data;

    static JsonNode of(WebhookReceiver r, String type) {
        return r.received().stream().filter(d -> d.path("type").asText().equals(type)).findFirst().orElse(null);
    }

    static void awaitKind(WebhookReceiver r, String type) {
        Awaitility.await(type).atMost(60, TimeUnit.SECONDS).until(() -> of(r, type) != null);
    }

    @Test
    void everyKindArrivesSignedAndFactsOutsideTheRoomsOutliveACrash() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 0)) {
            String anaId;
            int version;
            try (TestServer server = TestServer.startWithLog(data, "--qc-interval-ms", "200", "--qc-min-take-s", "1",
                    "--take-upload-grace-ms", "1000")) {
                assertEquals(201, server.admin("POST", "/api/webhooks", "{\"id\":\"studio\",\"url\":\""
                        + receiver.url() + "\",\"events\":[\"consent.recorded\",\"qc.flag\",\"take.ended\","
                        + "\"consent.withdrawn\",\"export.finished\"],\"secret\":\"" + secret + "\"}").statusCode());
                JsonNode room = server.createRoom("{\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
                String roomId = room.path("room").path("id").asText();
                String ana = TestServer.link(room, "performer", 0).path("token").asText();
                anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
                try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                        .path("token").asText()));
                     TestClient a = TestClient.join(server.wsUrl(roomId, ana));
                     TestClient b = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 1)
                             .path("token").asText()))) {
                    version = ProtocolCodec.mapper().readTree(server.request("GET", "/api/stage/consent?token="
                            + ana, null, null).body()).path("version").asInt();
                    assertEquals(200, server.request("POST", "/api/stage/consent?token=" + ana, "{\"version\":"
                            + version + ",\"agree\":true}", null).statusCode());
                    mo.send("{\"type\":\"scene_start\"}");
                    mo.await("qc_flag");
                    mo.send("{\"type\":\"scene_end\"}");
                    mo.await("scene_ended");
                }
                awaitKind(receiver, "consent.recorded");
                awaitKind(receiver, "qc.flag");
                assertEquals("qc_flag", of(receiver, "qc.flag").path("data").path("event").path("type").asText());
                awaitKind(receiver, "take.ended");
                assertEquals(200, server.admin("DELETE", "/api/rooms/" + roomId, null).statusCode());

                var withdrawn = server.admin("POST", "/api/consent/withdrawals", "{\"pid\":\"" + anaId
                        + "\",\"scopes\":[\"synthetic_voice\"],\"reason\":\"private words\"}");
                assertEquals(201, withdrawn.statusCode(), withdrawn.body());
                awaitKind(receiver, "consent.withdrawn");
                JsonNode w = of(receiver, "consent.withdrawn");
                assertEquals(anaId, w.path("data").path("participant").asText());
                assertEquals("[\"synthetic_voice\"]", w.path("data").path("scopes").toString());
                assertTrue(!w.toString().contains("private words"), "the free-text reason stays on the server");

                assertEquals(201, server.admin("POST", "/api/consent/texts", "{\"version\":" + version
                        + ",\"text\":\"Recorded for training.\",\"scopes\":[\"training\"]}").statusCode());
                Awaitility.await("the export starts").atMost(30, TimeUnit.SECONDS).until(() -> server.admin("POST",
                        "/api/exports", "{\"name\":\"wh\"}").statusCode() == 202);
                awaitKind(receiver, "export.finished");
                JsonNode e = of(receiver, "export.finished");
                assertEquals("wh", e.path("data").path("name").asText());
                assertEquals("done", e.path("data").path("state").asText(), e.toString());
            }

            // while the server is down: a withdrawal forced to its log and an export folder, neither in the outbox
            long number = new Withdrawals(data).withdraw(anaId, Set.of(ConsentScope.values()), "admin", null,
                    System.currentTimeMillis()).number();
            Path offline = Files.createDirectories(data.resolve("exports/offline-run"));
            Files.writeString(offline.resolve("manifest.json"), "{}");
            int before = receiver.received().size();
            try (TestServer again = TestServer.startWithLog(data)) {
                Awaitility.await("caught up").atMost(30, TimeUnit.SECONDS).until(() -> receiver.received().stream()
                        .anyMatch(d -> d.path("id").asText().equals("evt_withdrawal_" + number))
                        && receiver.received().stream().anyMatch(d -> d.path("id").asText()
                        .equals("evt_export_offline-run")));
                assertEquals(before + 2, receiver.received().size(), "only what the outbox had not seen");
            }
            assertEquals(0, receiver.badSignatures(), "every delivery signed with the endpoint's secret");
            assertEquals(List.of(), receiver.received().stream().filter(d -> d.path("id").asText().isEmpty()).toList());
        }
    }
}
