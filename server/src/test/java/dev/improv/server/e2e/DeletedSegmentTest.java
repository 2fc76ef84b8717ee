package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.OfflineWal;
import dev.improv.server.eventlog.SessionLogReader;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log segment being written is deleted under a running server process: the writer notices at once, acks stop,
 * the moderator gets {@code LOG_UNAVAILABLE}, the server log says what failed, the segment is written anew from
 * the descriptor still open, acks resume — and after a SIGKILL every acknowledged event is in the log.
 */
@Tag("integration")
class DeletedSegmentTest {
    @TempDir
    Path data;

    @Test
    void acksStopTheModeratorHearsAndNothingAcknowledgedIsLost() throws Exception {
        try (KillableServer server = KillableServer.start(data)) {
            JsonNode created = server.adminJson("POST", "/api/rooms", "{}");
            String roomId = created.path("room").path("id").asText();
            String session = created.path("room").path("sessionId").asText();
            TestClient mod = TestClient.join(server.ws("/ws/rooms/" + roomId + "?token="
                    + TestServer.link(created, "moderator", 0).path("token").asText()));
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20_000 && !mod.isClosed(); i++) {
                    try {
                        mod.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                        Thread.sleep(0, 200_000);
                    } catch (RuntimeException | InterruptedException e) {
                        return;
                    }
                }
            });
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() >= 200);
            Path segment;
            try (Stream<Path> files = Files.list(data.resolve("wal"))) {
                segment = files.filter(f -> f.toString().endsWith(".wal")).sorted().reduce((a, b) -> b).orElseThrow();
            }
            Files.delete(segment);
            JsonNode notice = mod.await(m -> m.path("type").asText().equals("notice")
                    && m.path("code").asText().equals("LOG_UNAVAILABLE") && m.path("level").asText().equals("error"),
                    "the LOG_UNAVAILABLE notice");
            assertTrue(notice.path("message").asText().contains("deleted"), notice.toString());
            mod.await(m -> m.path("type").asText().equals("notice") && m.path("level").asText().equals("info"),
                    "the log is writable again");
            int acksAfterRecovery = mod.ofType("ack").size();
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size()
                    >= acksAfterRecovery + 200);
            assertTrue(Files.exists(segment), "the segment is back at its path");
            assertTrue(server.output().stream().anyMatch(l -> l.contains("ERROR") && l.contains(segment.getFileName()
                    .toString())), "the server log names the segment");
            server.kill();
            sender.get(30, TimeUnit.SECONDS);
            Map<Long, String> acked = new HashMap<>();
            for (JsonNode ack : mod.ofType("ack")) {
                acked.put(ack.path("seq").asLong(), "take " + ack.path("cid").asText().substring(1));
            }
            mod.abort();
            SessionLogReader.ReadResult log = OfflineWal.read(data, session);
            assertEquals(List.of(), log.problems());
            for (Map.Entry<Long, String> a : acked.entrySet()) {
                assertTrue(a.getKey() <= log.lastSeq(), "acknowledged seq " + a.getKey() + " is in the log");
                assertEquals(a.getValue(), log.events().get((int) (a.getKey() - 1)).json().path("text").asText());
            }
        }
    }
}
