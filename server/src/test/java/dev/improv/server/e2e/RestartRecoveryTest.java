package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing is lost on restart: a server process with rooms, a pool with a queue, time accounting and partner
 * history is killed (SIGKILL, mid-traffic) or stopped (SIGTERM), started again on the same data directory, and
 * everything comes back from the write-ahead log: old links resume with {@code lastSeq} and no gap, a
 * {@code server_restarted} event marks the restart, seq continues, resent cids are not applied again, the queue has
 * its order, time accounting its totals, and recent partners are not paired again.
 */
@Tag("integration")
class RestartRecoveryTest {
    private static final String POOL = "restart-pool";

    @TempDir
    Path data;

    @Test
    void everythingComesBackAfterSigkill() throws Exception {
        restartAndCheck(true);
    }

    @Test
    void everythingComesBackAfterSigterm() throws Exception {
        restartAndCheck(false);
    }

    private void restartAndCheck(boolean sigkill) throws Exception {
        String[] flags = {"--resume-window-ms", "60000"};
        Map<String, String> lobbyLinks = new HashMap<>();
        Map<String, JsonNode> timeBefore = new HashMap<>();
        String roomUrlMod;
        String roomUrlPerf;
        String scenedRoom;
        long modLastSeen;
        long perfLastSeen;
        Map<Long, String> acked = new HashMap<>();
        String sessionId;
        try (KillableServer first = KillableServer.start(data, flags)) {
            assertEquals(201, first.admin("POST", "/api/pools", "{\"id\":\"" + POOL + "\",\"consentVersion\":1,"
                    + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
            for (String who : List.of("mod", "p1", "p2", "p3", "p4")) {
                JsonNode link = first.adminJson("POST", "/api/pools/" + POOL + "/links", "{\"role\":\""
                        + (who.equals("mod") ? "moderator" : "performer") + "\",\"name\":\"" + who + "\"}");
                lobbyLinks.put(who, first.ws("/ws/lobby/" + POOL + "?token=" + link.path("token").asText()));
                lobbyLinks.put(who + ".id", link.path("participantId").asText());
            }
            // p1 and p2 play one scene together in a room the lobby made
            TestClient mod = TestClient.connect(lobbyLinks.get("mod"));
            mod.await("lobby_welcome");
            TestClient p1 = queue(lobbyLinks.get("p1"), "en");
            TestClient p2 = queue(lobbyLinks.get("p2"), "en");
            for (TestClient p : List.of(p1, p2)) {
                p.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + p.await("lobby_offer").path("offerId").asText()
                        + "\"}");
            }
            JsonNode m1 = p1.await("lobby_matched");
            JsonNode m2 = p2.await("lobby_matched");
            scenedRoom = m1.path("roomId").asText();
            JsonNode modMatched = mod.await("lobby_matched");
            TestClient r1 = TestClient.join(first.ws("/ws/rooms/" + scenedRoom + "?token=" + m1.path("token").asText()));
            TestClient r2 = TestClient.join(first.ws("/ws/rooms/" + scenedRoom + "?token=" + m2.path("token").asText()));
            TestClient rm = TestClient.join(first.ws("/ws/rooms/" + scenedRoom + "?token="
                    + modMatched.path("token").asText()));
            rm.send("{\"type\":\"scene_start\",\"title\":\"one\"}");
            r1.await("scene_started");
            Thread.sleep(300);
            rm.send("{\"type\":\"scene_end\"}");
            r1.await("scene_ended");
            r2.await("scene_ended");
            // p3 and p4 wait, in this order (no common language: they cannot be matched)
            TestClient p3 = queue(lobbyLinks.get("p3"), "fr");
            assertEquals(1, p3.await("lobby_queued").path("position").asInt());
            TestClient p4 = queue(lobbyLinks.get("p4"), "de");
            assertEquals(2, p4.await("lobby_queued").path("position").asInt());
            for (String p : List.of("p1", "p2")) {
                String pid = lobbyLinks.get(p + ".id");
                JsonNode t = Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> first.adminJson("GET",
                        "/api/pools/" + POOL + "/performers/" + pid + "/time", null),
                        j -> j.path("scenesCompleted").asInt() == 1);
                assertTrue(t.path("sceneMs").asLong() >= 250, t.toString());
                timeBefore.put(pid, t);
            }

            // a room of the admin API with a moderator pushing prompts while the server dies
            JsonNode created = first.adminJson("POST", "/api/rooms", "{}");
            String roomId = created.path("room").path("id").asText();
            sessionId = created.path("room").path("sessionId").asText();
            roomUrlMod = first.ws("/ws/rooms/" + roomId + "?token="
                    + TestServer.link(created, "moderator", 0).path("token").asText());
            roomUrlPerf = first.ws("/ws/rooms/" + roomId + "?token="
                    + TestServer.link(created, "performer", 0).path("token").asText());
            TestClient prompter = TestClient.join(roomUrlMod);
            TestClient watcher = TestClient.join(roomUrlPerf);
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20_000 && !prompter.isClosed(); i++) {
                    try {
                        prompter.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                        if (!sigkill && i >= 300) {
                            return; // a clean stop: the traffic ends first
                        }
                    } catch (RuntimeException e) {
                        return; // the server is gone
                    }
                }
            });
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> prompter.ofType("ack").size() >= 200);
            if (sigkill) {
                first.kill();
            } else {
                sender.get(30, TimeUnit.SECONDS);
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> prompter.ofType("ack").size() >= 301);
                first.terminate();
            }
            sender.get(30, TimeUnit.SECONDS);
            for (JsonNode ack : prompter.ofType("ack")) {
                acked.put(ack.path("seq").asLong(), "take " + ack.path("cid").asText().substring(1));
            }
            modLastSeen = lastSeq(prompter);
            perfLastSeen = lastSeq(watcher);
            for (TestClient c : List.of(mod, p1, p2, p3, p4, r1, r2, rm, prompter, watcher)) {
                c.abort();
            }
        }

        try (KillableServer second = KillableServer.start(data, flags)) {
            // old links resume with lastSeq, gap-free, through the restart marker, and seq continues
            TestClient prompter = TestClient.connect(retarget(roomUrlMod, second) + "&lastSeq=" + modLastSeen);
            JsonNode welcome = prompter.await("welcome");
            assertTrue(welcome.path("resumed").asBoolean(), welcome.toString());
            long seqAtWelcome = welcome.path("seq").asLong();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> lastSeq(prompter) >= seqAtWelcome);
            List<JsonNode> replayed = roomEvents(prompter);
            assertRun(replayed, modLastSeen + 1);
            assertTrue(replayed.stream().anyMatch(e -> e.path("type").asText().equals("server_restarted")),
                    "the restart is on the timeline");
            prompter.send("{\"type\":\"prompt\",\"text\":\"after\",\"cid\":\"after-1\"}");
            JsonNode ack = prompter.await(m -> m.path("type").asText().equals("ack")
                    && m.path("cid").asText().equals("after-1"), "ack of the first prompt after the restart");
            assertTrue(ack.path("seq").asLong() > seqAtWelcome, "seq continues: " + ack);
            TestClient watcher = TestClient.connect(retarget(roomUrlPerf, second) + "&lastSeq=" + perfLastSeen);
            watcher.await("welcome");
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> lastSeq(watcher) >= ack.path("seq").asLong());
            assertRun(roomEvents(watcher), perfLastSeen + 1);

            // every acknowledged prompt is in the log at its seq
            String log = second.admin("GET", "/api/sessions/" + sessionId + "/log", null).body();
            Map<Long, String> texts = new HashMap<>();
            for (String line : log.split("\n")) {
                JsonNode e = ProtocolCodec.mapper().readTree(line);
                texts.put(e.path("seq").asLong(), e.path("text").asText());
            }
            for (Map.Entry<Long, String> a : acked.entrySet()) {
                assertEquals(a.getValue(), texts.get(a.getKey()), "acknowledged seq " + a.getKey());
            }
            // the last cid applied before the restart (the last prompt in the log before the marker: the server
            // went on applying prompts after the acks the client saw) is acknowledged as a duplicate, not applied
            // again
            long lastPromptSeq = texts.entrySet().stream().filter(t -> t.getValue().startsWith("take "))
                    .mapToLong(Map.Entry::getKey).max().orElseThrow();
            String lastCid = "k" + texts.get(lastPromptSeq).substring("take ".length());
            prompter.send("{\"type\":\"prompt\",\"text\":\"again\",\"cid\":\"" + lastCid + "\"}");
            JsonNode dup = prompter.await(m -> m.path("type").asText().equals("ack")
                    && m.path("cid").asText().equals(lastCid), "ack of the resent cid");
            assertTrue(dup.path("duplicate").asBoolean(), dup.toString());
            assertEquals(lastPromptSeq, dup.path("seq").asLong());
            String after = second.admin("GET", "/api/sessions/" + sessionId + "/log", null).body();
            assertFalse(after.contains("\"again\""), "the resent cid was not applied");

            // the pool is back with its queue in order
            JsonNode pool = second.adminJson("GET", "/api/pools/" + POOL, null);
            assertEquals(2, pool.path("waiting").asInt(), pool.toString());
            TestClient p3 = queue(retarget(lobbyLinks.get("p3"), second), "fr");
            assertEquals(1, p3.await("lobby_queued").path("position").asInt());
            TestClient p4 = queue(retarget(lobbyLinks.get("p4"), second), "de");
            assertEquals(2, p4.await("lobby_queued").path("position").asInt());

            // time accounting as before
            for (Map.Entry<String, JsonNode> t : timeBefore.entrySet()) {
                JsonNode now = second.adminJson("GET", "/api/pools/" + POOL + "/performers/" + t.getKey() + "/time",
                        null);
                assertEquals(t.getValue().path("sceneMs").asLong(), now.path("sceneMs").asLong(), now.toString());
                assertEquals(1, now.path("scenesCompleted").asInt(), now.toString());
            }

            // partner history: once their room is closed, p1 and p2 queue again and are not paired again
            assertEquals(200, second.admin("DELETE", "/api/rooms/" + scenedRoom, null).statusCode());
            TestClient p1 = TestClient.connect(retarget(lobbyLinks.get("p1"), second));
            p1.await("lobby_welcome");
            TestClient p2 = TestClient.connect(retarget(lobbyLinks.get("p2"), second));
            p2.await("lobby_welcome");
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> second.adminJson("GET",
                    "/api/pools/" + POOL, null).path("rooms").isEmpty());
            p1.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
            p2.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
            p2.await("lobby_queued");
            Thread.sleep(1_500); // six lobby ticks: time enough to pair them if the history were gone
            assertTrue(p1.ofType("lobby_offer").isEmpty() && p2.ofType("lobby_offer").isEmpty(),
                    "recent partners are not paired again");
            for (TestClient c : List.of(prompter, watcher, p1, p2, p3, p4)) {
                c.abort();
            }
        }
    }

    private static TestClient queue(String url, String language) {
        TestClient p = TestClient.connect(url);
        p.await("lobby_welcome");
        p.send("{\"type\":\"lobby_join\",\"languages\":[\"" + language + "\"],\"consentVersion\":1}");
        return p;
    }

    private static String retarget(String url, KillableServer server) {
        return url.replaceFirst("ws://127\\.0\\.0\\.1:\\d+", "ws://127.0.0.1:" + server.port());
    }

    private static List<JsonNode> roomEvents(TestClient c) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : c.received()) {
            if (m.has("seq") && !m.path("type").asText().equals("welcome") && !m.path("type").asText().equals("ack")) {
                out.add(m);
            }
        }
        return out;
    }

    private static long lastSeq(TestClient c) {
        List<JsonNode> events = roomEvents(c);
        return events.isEmpty() ? 0 : events.get(events.size() - 1).path("seq").asLong();
    }

    private static void assertRun(List<JsonNode> events, long from) {
        long expected = from;
        for (JsonNode e : events) {
            assertEquals(expected++, e.path("seq").asLong(), "gap-free from " + from + ": " + e);
        }
        assertTrue(expected > from, "events were replayed");
    }
}
