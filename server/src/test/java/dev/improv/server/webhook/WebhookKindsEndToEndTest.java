package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.improv.server.dataset.ConsentScope;
import dev.improv.server.dataset.Withdrawals;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Facts kept outside the room journals outlive a crash between the fact and the outbox: with the server down, a
 * withdrawal forced to its log and a finished export folder (the state such a crash leaves) are delivered, signed,
 * at the next start, and only they. Every kind arriving live (consent.recorded, qc.flag, take.ended,
 * consent.withdrawn, export.finished) is checked on one session in {@code quality.LiveQualityEndToEndTest}.
 */
@Tag("integration")
class WebhookKindsEndToEndTest {
    @TempDir
    Path data;

    @Test
    void aWithdrawalAndAnExportTheOutboxNeverSawAreDeliveredAtTheNextStart() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 0)) {
            try (TestServer server = TestServer.start(data)) { // the first start: the cursor begins here
                assertEquals(201, server.admin("POST", "/api/webhooks", "{\"id\":\"studio\",\"url\":\""
                        + receiver.url() + "\",\"events\":[\"consent.withdrawn\",\"export.finished\"],\"secret\":"
                        + "\"whsec_" + Base64.getEncoder().encodeToString(key) + "\"}").statusCode());
            }
            long number = new Withdrawals(data).withdraw("p-ana", Set.of(ConsentScope.values()), "admin", null,
                    System.currentTimeMillis()).number();
            Path offline = Files.createDirectories(data.resolve("exports/offline-run"));
            Files.writeString(offline.resolve("manifest.json"), "{}");
            try (TestServer again = TestServer.start(data)) {
                Awaitility.await("caught up").atMost(30, TimeUnit.SECONDS).until(() -> receiver.received().size() == 2);
                assertEquals(Set.of("evt_withdrawal_" + number, "evt_export_offline-run"), Set.copyOf(receiver
                        .received().stream().map(d -> d.path("id").asText()).toList()));
            }
            try (TestServer third = TestServer.start(data)) {
                Thread.sleep(500); // a delivery would take milliseconds here
                assertEquals(2, receiver.received().size(), "announced once: the cursor moved on");
            }
            assertEquals(0, receiver.badSignatures());
        }
    }
}
