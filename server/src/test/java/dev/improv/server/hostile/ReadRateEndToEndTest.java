package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that relays large signals as fast as its socket takes them makes the server read only its byte rate
 * ({@code --ws-read-bytes-per-second}): the partner gets a trickle at that rate while the sender is held back by
 * TCP, and every signal still arrives, in order: paused, not dropped, not cut. (The message rate alone let 80 such
 * members make the server read and parse ~250 MB/s.) The room's other members keep working meanwhile.
 */
@Tag("integration")
class ReadRateEndToEndTest {
    static final int RATE = 32 * 1024; // a burst of four seconds' worth: 128 KiB
    static final int SIGNAL_BYTES = 20_000;
    static final int SIGNALS = 20; // 400 KB: the burst, then about 8 s at the rate

    @TempDir
    static Path dir;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(dir, "--ws-read-bytes-per-second", Integer.toString(RATE),
                "--max-messages-per-second", "1000", "--message-burst", "1000");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aMemberSendingFasterThanItsByteRateIsReadAtThatRateAndLosesNothing() throws Exception {
        JsonNode room = server.createRoom("{\"name\":\"Flood\",\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
        String roomId = room.path("room").path("id").asText();
        try (TestClient ana = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 0).path("token").asText()));
             TestClient ben = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 1).path("token").asText()));
             TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0).path("token").asText()))) {
            String pad = "x".repeat(SIGNAL_BYTES);
            long start = System.nanoTime();
            CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < SIGNALS; i++) {
                    ana.send("{\"type\":\"signal\",\"to\":\"" + ben.welcomeId() + "\",\"kind\":\"offer\",\"data\":{\"n\":" + i
                            + ",\"sdp\":\"" + pad + "\"}}");
                }
            });
            Thread.sleep(1500);
            assertFalse(sending.isDone(), "the sender is held back by TCP while the server does not read");

            // the room keeps working for everyone else meanwhile
            mo.send("{\"type\":\"prompt\",\"text\":\"Meanwhile, in the kitchen\",\"cid\":\"p1\"}");
            ben.await(m -> "prompt".equals(m.path("type").asText()), "the prompt during the flood");

            sending.get(40, TimeUnit.SECONDS);
            Awaitility.await("every signal").atMost(40, TimeUnit.SECONDS)
                    .until(() -> ben.ofType("signal").size() == SIGNALS);
            double seconds = (System.nanoTime() - start) / 1e9;
            // never faster than the rate: a busy box only makes it slower (without the limit: about a second)
            double fastest = (SIGNALS * (SIGNAL_BYTES + 60.0) - 4.0 * RATE - 64 * 1024) / RATE;
            assertTrue(seconds >= fastest, "all " + SIGNALS + " signals read in " + seconds + " s; the rate allows no less than "
                    + fastest + " s");
            List<JsonNode> signals = ben.ofType("signal");
            for (int i = 0; i < SIGNALS; i++) {
                assertEquals(i, signals.get(i).path("data").path("n").asInt(), "in order, none lost");
            }
            assertFalse(ana.isClosed(), "paused, not cut");
            assertTrue(server.metrics().contains("improv_websocket_reads_paused_total"), "counted in /metrics");
            assertFalse(server.metrics().contains("improv_websocket_reads_paused_total 0.0"), "and it paused");
        }
    }
}
