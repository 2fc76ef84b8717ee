package dev.improv.server.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A room opened on a full disk: every moderator, present or joining later, gets the {@code LOG_UNAVAILABLE}
 * notice; the room takes messages but shows no event before its seqs can be reserved durably; once the disk works
 * again everything kept goes out and is acknowledged, and the outage is over for those who join after. Real server and sockets, the
 * session log on {@link FaultyStorage} (real files, a switch that makes the disk fail).
 */
@Tag("integration")
class LogOutageNoticeEndToEndTest {
    @TempDir
    Path data;

    static boolean isLogNotice(JsonNode m, String level) {
        return m.path("type").asText().equals("notice") && m.path("code").asText().equals("LOG_UNAVAILABLE")
                && m.path("level").asText().equals(level);
    }

    @Test
    void moderatorsWhoJoinDuringAnOutageAreToldAndThoseAfterItAreNot() throws Exception {
        FaultyStorage storage = new FaultyStorage(data);
        storage.failing.set(true); // the disk is full before the room opens
        try (TestServer server = TestServer.startWithLog(data, storage)) {
            JsonNode room = server.createRoom("{\"moderators\":3}");
            String id = room.path("room").path("id").asText();
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> storage.failures.get() > 0);
            try (TestClient first = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0)
                    .path("token").asText()))) {
                JsonNode notice = first.await(m -> isLogNotice(m, "error"), "the outage notice on joining");
                assertTrue(notice.path("message").asText().contains("No space left on device"), notice.toString());
                first.send("{\"type\":\"prompt\",\"text\":\"kept, not acknowledged yet\",\"cid\":\"p1\"}");
                try (TestClient second = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 1)
                        .path("token").asText()))) {
                    second.await(m -> isLogNotice(m, "error"), "the outage notice for a later moderator");
                    assertTrue(first.ofType("ack").isEmpty(), "nothing acknowledged while the log fails");
                    // no seq of this room could be reserved durably yet: members see its events once it can be
                    assertTrue(first.ofType("prompt").isEmpty() && second.ofType("prompt").isEmpty(),
                            "nothing shown before its seq is reserved: " + first.received());
                    storage.failing.set(false);
                    first.await("prompt");
                    second.await("prompt");
                    first.await(m -> m.path("type").asText().equals("ack"), "the ack once durable");
                    second.await(m -> isLogNotice(m, "info"), "the recovery notice");
                    try (TestClient third = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 2)
                            .path("token").asText()))) {
                        third.send("{\"type\":\"lock\",\"locked\":false,\"cid\":\"l1\"}");
                        third.await("ack"); // its own message went through the log: everything before it did too
                        assertEquals(0, third.ofType("notice").size(), third.received().toString());
                        assertEquals(1, first.ofType("notice").stream().filter(m -> isLogNotice(m, "error")).count(),
                                "told once per outage");
                    }
                }
            }
        }
    }
}
