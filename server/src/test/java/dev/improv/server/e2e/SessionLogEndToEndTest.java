package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.SessionLogReader;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session log behind real rooms: acks after durability, late recorders and old resumes read from the log. */
@Tag("integration")
class SessionLogEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        // Only 16 events in memory per room, so that catching up must read the log.
        server = TestServer.startWithLog(data, "--history-events", "16", "--max-messages-per-second", "1000",
                "--message-burst", "1000");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static void assertSeqRun(List<JsonNode> events, long from, long to) {
        assertEquals(to - from + 1, events.size(), "count of events " + from + ".." + to);
        for (int i = 0; i < events.size(); i++) {
            assertEquals(from + i, events.get(i).path("seq").asLong());
        }
    }

    static List<JsonNode> roomEvents(TestClient c) {
        return c.received().stream().filter(m -> m.has("seq") && !m.path("type").asText().equals("welcome")
                && !m.path("type").asText().equals("ack")).toList();
    }

    @Test
    void aLateRecorderGetsTheWholeSessionFromTheLogThenLiveWithNoGapOrDuplicate() throws Exception {
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        try (TestClient mod = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0).path("token").asText()))) {
            for (int i = 0; i < 100; i++) {
                mod.send("{\"type\":\"prompt\",\"text\":\"p" + i + "\",\"cid\":\"c" + i + "\"}");
            }
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 100);
            try (TestClient rec = TestClient.join(server.wsUrl(id, TestServer.link(room, "recorder", 0).path("token").asText()))) {
                long welcomeSeq = rec.await("welcome").path("seq").asLong();
                assertEquals(1, rec.await("welcome").path("replayFrom").asLong());
                mod.send("{\"type\":\"prompt\",\"text\":\"live\"}");
                Awaitility.await().atMost(10, TimeUnit.SECONDS)
                        .until(() -> rec.ofType("prompt").stream().anyMatch(p -> p.path("text").asText().equals("live")));
                List<JsonNode> events = roomEvents(rec);
                assertSeqRun(events, 1, welcomeSeq + 1);
                assertEquals("member_joined", events.get(0).path("type").asText());
                assertEquals("p0", events.get(1).path("text").asText());
                assertEquals("live", events.get(events.size() - 1).path("text").asText());
                assertTrue(rec.ofType("error").isEmpty(), rec.ofType("error").toString());
            }
        }
    }

    @Test
    void everyAcknowledgedEventIsInTheLogFileInOrder() throws Exception {
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        String session = room.path("room").path("sessionId").asText();
        try (TestClient mod = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0).path("token").asText()))) {
            for (int i = 0; i < 50; i++) {
                mod.send("{\"type\":\"prompt\",\"text\":\"q" + i + "\",\"cid\":\"d" + i + "\"}");
            }
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 50);
            // the room is open: its events are in the node's log (exported to the session's folder at close)
            SessionLogReader.ReadResult log = dev.improv.server.eventlog.OfflineWal.read(data, session);
            assertFalse(log.tornTail());
            for (JsonNode ack : mod.ofType("ack")) {
                long seq = ack.path("eventSeq").asLong();
                assertTrue(seq <= log.lastSeq(), "acked seq " + seq + " is in the file");
                String cid = ack.path("cid").asText();
                assertEquals("q" + cid.substring(1), log.events().get((int) seq - 1).json().path("text").asText());
            }
            List<JsonNode> received = mod.ofType("prompt");
            for (JsonNode p : received) {
                assertEquals(p.toString(), log.events().get((int) p.path("seq").asLong() - 1).json().toString(),
                        "the log holds exactly what members received");
            }
        }
    }

    @Test
    void aResumeOlderThanTheMemoryIsServedFromTheLog() throws Exception {
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        String token = TestServer.link(room, "performer", 0).path("token").asText();
        try (TestClient mod = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0).path("token").asText()))) {
            TestClient ana = TestClient.join(server.wsUrl(id, token));
            mod.send("{\"type\":\"prompt\",\"text\":\"seen\"}");
            long lastSeen = ana.await("prompt").path("seq").asLong();
            ana.abort();
            mod.await(m -> m.path("type").asText().equals("presence"), "drop seen");
            for (int i = 0; i < 40; i++) {
                mod.send("{\"type\":\"prompt\",\"text\":\"missed " + i + "\"}");
            }
            Awaitility.await().atMost(10, TimeUnit.SECONDS).alias("41 prompts at the moderator")
                    .until(() -> mod.ofType("prompt").size() == 41);
            try (TestClient back = TestClient.connect(server.wsUrl(id, token) + "&lastSeq=" + lastSeen)) {
                long welcomeSeq = back.await("welcome").path("seq").asLong();
                Awaitility.await().atMost(10, TimeUnit.SECONDS)
                        .until(() -> roomEvents(back).size() >= welcomeSeq - lastSeen);
                List<JsonNode> events = roomEvents(back);
                assertSeqRun(events.subList(0, (int) (welcomeSeq - lastSeen)), lastSeen + 1, welcomeSeq);
                assertEquals(40, back.ofType("prompt").size());
                assertTrue(back.ofType("error").isEmpty());
            }
        }
    }
}
