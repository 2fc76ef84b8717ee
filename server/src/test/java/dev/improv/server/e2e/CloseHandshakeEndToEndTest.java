package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.testing.RawWebSocket;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member the server closes while it is still sending gets the close frame and its code. Closing the socket
 * right after the frame made the kernel reset the connection (the member's bytes were unread), and the reset threw
 * away the close frame the member had already received: a relayed cluster member saw an error instead of 1001
 * and the code that says "reconnect" was lost (ClusterFailoverTest on a loaded CI box).
 */
@Tag("integration")
class CloseHandshakeEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        // no rate limit in the way: the member must be sending when the kick comes, not be cut for its rate
        server = TestServer.start(data, "--max-messages-per-second", "1000000", "--message-burst", "1000000");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aMemberKickedWhileItFloodsTheRoomReadsTheKickCode() throws Exception {
        for (int round = 0; round < 5; round++) {
            JsonNode room = server.createRoom("{\"performers\":[\"Ana\"]}");
            String roomId = room.path("room").path("id").asText();
            try (TestClient mod = TestClient.join(server.wsUrl(roomId,
                    TestServer.link(room, "moderator", 0).path("token").asText()));
                 RawWebSocket ana = RawWebSocket.open(server.port(), "/ws/rooms/" + roomId + "?token="
                         + TestServer.link(room, "performer", 0).path("token").asText(), 0)) {
                ana.readTimeout(15_000);
                String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
                mod.awaitArrival(m -> m.path("type").asText().equals("member_joined")
                        && m.path("member").path("id").asText().equals(anaId), "Ana in the room");
                AtomicBoolean kicked = new AtomicBoolean();
                CompletableFuture<Integer> closeCode = CompletableFuture.supplyAsync(() -> {
                    // reads the time_sync answers as they come; once the kick is sent it looks away for a moment,
                    // as a busy page does, so the close frame waits in the socket when the server closes
                    boolean paused = false;
                    try {
                        for (RawWebSocket.Frame f = ana.readFrame(); f != null; f = ana.readFrame()) {
                            if (f.opcode() == 0x8) {
                                return f.closeCode();
                            }
                            if (kicked.get() && !paused) {
                                paused = true;
                                Thread.sleep(500);
                            }
                        }
                        return -1; // the connection ended without a close frame
                    } catch (IOException e) {
                        return -2; // reset: the close frame was thrown away
                    } catch (InterruptedException e) {
                        return -3;
                    }
                });
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong sent = new AtomicLong();
                CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
                    try {
                        for (long i = 0; i < 2_000_000 && !stop.get(); i++) {
                            ana.sendText("{\"type\":\"time_sync\",\"cid\":\"t" + i + "\",\"clientTs\":" + i + "}");
                            sent.incrementAndGet();
                        }
                    } catch (IOException closed) {
                        // the server shut its side: expected once the kick went out
                    }
                });
                while (sent.get() < 2_000) {
                    Thread.sleep(5);
                }
                kicked.set(true);
                mod.send(new ClientMessage.Kick("k" + round, anaId, "test"));
                int code = closeCode.get(20, TimeUnit.SECONDS);
                stop.set(true);
                flood.get(20, TimeUnit.SECONDS);
                assertEquals(4408, code, "round " + round + ": the kick's code, not a reset (sent " + sent.get() + ")");
            }
        }
        assertTrue(server.request("GET", "/healthz", null, null).statusCode() == 200);
    }
}
