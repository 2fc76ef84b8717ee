package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A studio's booking system hears when its lobby pairs two performers: {@code lobby.matched}, signed, once. */
@Tag("integration")
class LobbyMatchedWebhookTest {
    @TempDir
    Path data;

    @Test
    void aMatchIntoARoomIsReportedWithThePoolTheRoomAndThePerformers() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 0);
             TestServer server = TestServer.start(data)) {
            assertEquals(201, server.admin("POST", "/api/webhooks", "{\"id\":\"booking\",\"url\":\"" + receiver.url()
                    + "\",\"events\":[\"lobby.matched\"],\"secret\":\"whsec_" + Base64.getEncoder().encodeToString(key)
                    + "\"}").statusCode());
            assertEquals(201, server.admin("POST", "/api/pools", "{\"id\":\"duets\",\"consentVersion\":1,"
                    + "\"consentText\":\"Recorded for AI training.\",\"roomSize\":2}").statusCode());
            List<TestClient> performers = new ArrayList<>();
            Set<String> pids = new TreeSet<>();
            try {
                for (int i = 0; i < 2; i++) {
                    JsonNode link = ProtocolCodec.mapper().readTree(server.admin("POST", "/api/pools/duets/links",
                            "{\"role\":\"performer\",\"name\":\"P" + i + "\"}").body());
                    TestClient p = TestClient.connect(server.httpBase().replace("http", "ws") + "/ws/lobby/duets?token="
                            + link.path("token").asText());
                    p.await("lobby_welcome");
                    p.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
                    performers.add(p);
                    pids.add(link.path("participantId").asText());
                }
                for (TestClient p : performers) {
                    JsonNode offer = p.await("lobby_offer");
                    p.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + offer.path("offerId").asText() + "\"}");
                }
                String room = performers.get(0).await("lobby_matched").path("roomId").asText();
                Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> !receiver.received().isEmpty());
                JsonNode matched = receiver.received().get(0);
                assertEquals("lobby.matched", matched.path("type").asText());
                assertEquals("duets", matched.path("data").path("pool").asText());
                assertEquals(room, matched.path("data").path("room").asText());
                Set<String> reported = new TreeSet<>();
                matched.path("data").path("performers").forEach(n -> reported.add(n.asText()));
                assertEquals(pids, reported);
                assertEquals(0, receiver.badSignatures());
                Thread.sleep(500);
                assertEquals(1, receiver.received().size(), "one match, one event");
            } finally {
                performers.forEach(TestClient::close);
            }
        }
    }
}
