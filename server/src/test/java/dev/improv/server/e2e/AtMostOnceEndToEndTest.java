package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client message ids are applied at most once for the whole session, resume window or not (real server). */
@Tag("integration")
class AtMostOnceEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startWithLog(data, "--resume-window-ms", "200");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void cidsResentAfterTheResumeWindowExpiredAreNotAppliedAgain() throws Exception {
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        String modUrl = server.wsUrl(id, TestServer.link(room, "moderator", 0).path("token").asText());
        try (TestClient watcher = TestClient.join(server.wsUrl(id, TestServer.link(room, "observer", 0)
                .path("token").asText()))) {
            TestClient mod = TestClient.join(modUrl);
            String modId = mod.welcomeId();
            mod.send("{\"type\":\"prompt\",\"text\":\"only once\",\"cid\":\"m-1\"}");
            mod.send("{\"type\":\"scene_start\",\"title\":\"one\",\"cid\":\"m-2\"}");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 2);
            long promptSeq = mod.ofType("ack").get(0).path("eventSeq").asLong();
            mod.abort(); // a cut before the client saw... whatever it saw: it resends what it sent
            watcher.await(m -> m.path("type").asText().equals("member_left")
                    && m.path("id").asText().equals(modId), "the resume window expired");
            try (TestClient back = TestClient.join(modUrl)) {
                assertFalse(back.await("welcome").path("resumed").asBoolean(), "a new entry of the same participant");
                back.send("{\"type\":\"prompt\",\"text\":\"only once\",\"cid\":\"m-1\"}");
                back.send("{\"type\":\"scene_start\",\"title\":\"one\",\"cid\":\"m-2\"}");
                back.send("{\"type\":\"prompt\",\"text\":\"new\",\"cid\":\"m-3\"}");
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> back.ofType("ack").size() == 3);
                JsonNode dup = back.ofType("ack").get(0);
                assertTrue(dup.path("duplicate").asBoolean(), dup.toString());
                assertEquals(promptSeq, dup.path("eventSeq").asLong());
                assertTrue(back.ofType("ack").get(1).path("duplicate").asBoolean());
                assertFalse(back.ofType("ack").get(2).path("duplicate").asBoolean());
                assertTrue(back.ofType("error").isEmpty(), back.ofType("error").toString());
                watcher.await(m -> m.path("type").asText().equals("prompt") && m.path("text").asText().equals("new"),
                        "the new prompt");
                assertEquals(1, watcher.ofType("prompt").stream()
                        .filter(m -> m.path("text").asText().equals("only once")).count(), "applied once");
                assertEquals(1, watcher.ofType("scene_started").size());
            }
        }
    }

    @Test
    void aRefusedMessageResentWithTheSameCidIsAppliedThenAndNotAckedAsADuplicate() throws Exception {
        JsonNode room = server.createRoom("{}");
        String id = room.path("room").path("id").asText();
        try (TestClient mod = TestClient.join(server.wsUrl(id, TestServer.link(room, "moderator", 0)
                .path("token").asText()))) {
            mod.send("{\"type\":\"scene_end\",\"cid\":\"e-1\"}");
            JsonNode error = mod.await("error");
            assertEquals("SCENE_STATE", error.path("code").asText());
            assertEquals("e-1", error.path("cid").asText());
            mod.send("{\"type\":\"scene_start\",\"cid\":\"s-1\"}");
            mod.send("{\"type\":\"scene_end\",\"cid\":\"e-1\"}");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 2);
            JsonNode ack = mod.ofType("ack").get(1);
            assertEquals("e-1", ack.path("cid").asText());
            assertFalse(ack.path("duplicate").asBoolean(), ack.toString());
            assertEquals(1, mod.ofType("scene_ended").size());
        }
    }
}
