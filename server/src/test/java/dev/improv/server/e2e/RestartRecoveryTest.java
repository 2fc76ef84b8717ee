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
 *
 * <p>Members see events before they are durable (only acks wait for the fsync), so at a SIGKILL they may have
 * seen events that were never written. What they saw is recorded before the kill and compared after: no seq a
 * member saw is given to a different event; the restart marker comes after every seq anyone saw, and the seqs it
 * skips (reserved, unused) are named in it — the only gap in the session.
 */
@Tag("integration")
class RestartRecoveryTest {
    private static final String POOL = "restart-pool";
    /** Prompts the sender keeps unacknowledged at most. */
    private static final int IN_FLIGHT = 64;

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

    private long t0;

    private void phase(String what) {
        System.out.printf("restart test phase: %-20s %6d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
    }

    private void restartAndCheck(boolean sigkill) throws Exception {
        t0 = System.nanoTime();
        // checkpoints every 4 KiB of log: the SIGKILL leaves a checkpoint and log after it, the SIGTERM one at the end
        String[] flags = {"--resume-window-ms", "60000", "--log-checkpoint-bytes", "4096"};
        Map<String, String> lobbyLinks = new HashMap<>();
        Map<String, JsonNode> timeBefore = new HashMap<>();
        String roomUrlMod;
        String roomUrlPerf;
        String scenedRoom;
        long modLastSeen;
        long perfLastSeen;
        Map<Long, JsonNode> seenBefore = new HashMap<>();
        Map<Long, String> acked = new HashMap<>();
        String sessionId;
        try (KillableServer first = KillableServer.start(data, flags)) {
            phase("first started");
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
            phase("matched");
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
            phase("scene done");
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
            // the pay statement adds up to the same time accounting
            JsonNode payBefore = first.adminJson("GET", "/api/pools/" + POOL + "/pay", null);
            phase("time+pay before");
            for (Map.Entry<String, JsonNode> t : timeBefore.entrySet()) {
                assertSameTime(t.getValue(), payTotal(payBefore, t.getKey()));
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
            // At most IN_FLIGHT prompts not yet acknowledged: the kill still comes mid-traffic (prompts sent, not
            // yet durable), but the session stays a few hundred events however slow the box is. Unbounded, a loaded
            // box let the sender run thousands of prompts ahead of the fsyncs, and every later step (replays, the
            // log fetched and checked line by line against the OpenAPI contract) grew with them.
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20_000 && !prompter.isClosed(); i++) {
                    try {
                        while (i - prompter.ofType("ack").size() >= IN_FLIGHT && !prompter.isClosed()) {
                            Thread.sleep(1);
                        }
                        prompter.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                        if (!sigkill && i >= 300) {
                            return; // a clean stop: the traffic ends first
                        }
                    } catch (RuntimeException e) {
                        return; // the server is gone
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            });
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> prompter.ofType("ack").size() >= 200);
            phase("200 acks");
            if (sigkill) {
                first.kill();
            } else {
                sender.get(30, TimeUnit.SECONDS);
                Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> prompter.ofType("ack").size() >= 301);
                first.terminate();
            }
            sender.get(30, TimeUnit.SECONDS);
            phase("stopped");
            for (JsonNode ack : prompter.ofType("ack")) {
                acked.put(ack.path("eventSeq").asLong(), "take " + ack.path("cid").asText().substring(1));
            }
            modLastSeen = lastSeq(prompter);
            perfLastSeen = lastSeq(watcher);
            for (TestClient c : List.of(prompter, watcher)) {
                for (JsonNode e : roomEvents(c)) {
                    JsonNode other = seenBefore.putIfAbsent(e.path("seq").asLong(), e);
                    assertTrue(other == null || other.equals(e), "two members saw one seq as one event: " + e);
                }
            }
            for (TestClient c : List.of(mod, p1, p2, p3, p4, r1, r2, rm, prompter, watcher)) {
                c.abort();
            }
        }

        try (KillableServer second = KillableServer.start(data, flags)) {
            phase("second started");
            assertTrue(second.output().stream().anyMatch(l -> l.contains("from the checkpoint")),
                    "the start read a checkpoint and the log after it");
            // old links resume with lastSeq, gap-free, through the restart marker, and seq continues
            TestClient prompter = TestClient.connect(retarget(roomUrlMod, second) + "&lastSeq=" + modLastSeen);
            JsonNode welcome = prompter.await("welcome");
            assertTrue(welcome.path("resumed").asBoolean(), welcome.toString());
            long seqAtWelcome = welcome.path("seq").asLong();
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> lastSeq(prompter) >= seqAtWelcome);
            List<JsonNode> replayed = roomEvents(prompter);
            assertRun(replayed, modLastSeen + 1);
            phase("resumed");
            JsonNode marker = replayed.stream().filter(e -> e.path("type").asText().equals("server_restarted"))
                    .findFirst().orElseThrow(() -> new AssertionError("the restart is on the timeline"));
            long restartSeq = marker.path("seq").asLong();
            assertTrue(restartSeq > Math.max(modLastSeen, perfLastSeen), "the restart marker comes after every seq "
                    + "a member saw (moderator " + modLastSeen + ", performer " + perfLastSeen + "): " + marker);
            if (!sigkill) {
                assertFalse(marker.has("skippedFrom"), "a clean stop gives unused seqs back: " + marker);
            }
            prompter.send("{\"type\":\"prompt\",\"text\":\"after\",\"cid\":\"after-1\"}");
            JsonNode ack = prompter.await(m -> m.path("type").asText().equals("ack")
                    && m.path("cid").asText().equals("after-1"), "ack of the first prompt after the restart");
            assertTrue(ack.path("eventSeq").asLong() > seqAtWelcome, "seq continues: " + ack);
            // the performer resumes from exactly what it saw, even when that was never written
            TestClient watcher = TestClient.connect(retarget(roomUrlPerf, second) + "&lastSeq=" + perfLastSeen);
            watcher.await("welcome");
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> lastSeq(watcher) >= ack.path("eventSeq").asLong());
            assertRun(roomEvents(watcher), perfLastSeen + 1);
            // the whole session replayed after the restart: no seq seen before the kill is a different event now
            watcher.abort();
            TestClient again = TestClient.connect(retarget(roomUrlPerf, second) + "&lastSeq=0");
            again.await("welcome");
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> lastSeq(again) >= ack.path("eventSeq").asLong());
            List<JsonNode> whole = roomEvents(again);
            assertRun(whole, 1);
            phase("full replay");
            int same = 0;
            for (JsonNode e : whole) {
                JsonNode before = seenBefore.get(e.path("seq").asLong());
                if (before != null) {
                    assertEquals(before, e, "seq " + e.path("seq").asLong() + " was seen before the kill as another event");
                    same++;
                }
            }
            long unwritten = seenBefore.keySet().stream().filter(q -> q < restartSeq && whole.stream()
                    .noneMatch(e -> e.path("seq").asLong() == q)).count();
            System.out.printf("restart: %d events seen before the %s, %d of them replayed unchanged, %d seen but "
                    + "never written (skipped: %s)%n", seenBefore.size(), sigkill ? "SIGKILL" : "SIGTERM", same,
                    unwritten, marker.has("skippedFrom") ? marker.path("skippedFrom") + ".." + marker.path("skippedTo")
                    : "none");
            assertTrue(sigkill || unwritten == 0, "a clean stop writes everything members saw");

            // every acknowledged prompt is in the log at its seq
            String log = second.admin("GET", "/api/sessions/" + sessionId + "/log", null).body();
            phase("log 1");
            Map<Long, String> texts = new HashMap<>();
            System.out.printf("restart test: the session log has %d lines%n", log.split("\n").length);
            for (String line : log.split("\n")) {
                JsonNode e = ProtocolCodec.mapper().readTree(line);
                texts.put(e.path("seq").asLong(), e.path("text").asText());
                JsonNode before = seenBefore.get(e.path("seq").asLong());
                assertTrue(before == null || before.equals(e), "the log holds what members saw: " + e);
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
            assertEquals(lastPromptSeq, dup.path("eventSeq").asLong());
            String after = second.admin("GET", "/api/sessions/" + sessionId + "/log", null).body();
            phase("log 2");
            assertFalse(after.contains("\"again\""), "the resent cid was not applied");

            // the pool is back with its queue in order
            JsonNode pool = second.adminJson("GET", "/api/pools/" + POOL, null);
            phase("pool");
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
            JsonNode payAfter = second.adminJson("GET", "/api/pools/" + POOL + "/pay", null);
            phase("time after + pay");
            for (Map.Entry<String, JsonNode> t : timeBefore.entrySet()) {
                JsonNode total = payTotal(payAfter, t.getKey());
                assertEquals(t.getValue().path("sceneMs").asLong(), total.path("sceneMs").asLong(), payAfter.toString());
                assertEquals(1, total.path("scenesCompleted").asInt(), payAfter.toString());
                assertSameTime(second.adminJson("GET", "/api/pools/" + POOL + "/performers/" + t.getKey() + "/time",
                        null), total);
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
            phase("partners");
            assertTrue(p1.ofType("lobby_offer").isEmpty() && p2.ofType("lobby_offer").isEmpty(),
                    "recent partners are not paired again");
            for (TestClient c : List.of(prompter, again, p1, p2, p3, p4)) {
                c.abort();
            }
        }
    }

    /** A performer's totals in a pay statement (GET /api/pools/{id}/pay). */
    private static JsonNode payTotal(JsonNode statement, String pid) {
        for (JsonNode t : statement.path("totals")) {
            if (t.path("pid").asText().equals(pid)) {
                return t;
            }
        }
        throw new AssertionError("no pay total for " + pid + " in " + statement);
    }

    private static void assertSameTime(JsonNode time, JsonNode payTotal) {
        for (String f : List.of("lobbyMs", "offerMs", "sceneMs", "scenesCompleted")) {
            assertEquals(time.path(f).asLong(), payTotal.path(f).asLong(), f + ": " + time + " vs " + payTotal);
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

    /**
     * Gap-free from {@code from}, except where a {@code server_restarted} names the seqs it skips (a resume from
     * inside that range starts at the marker).
     */
    private static void assertRun(List<JsonNode> events, long from) {
        long expected = from;
        for (JsonNode e : events) {
            long seq = e.path("seq").asLong();
            if (seq != expected && e.path("type").asText().equals("server_restarted") && e.has("skippedFrom")) {
                assertTrue(e.path("skippedFrom").asLong() <= expected && e.path("skippedTo").asLong() == seq - 1,
                        "the skipped seqs are named: " + e + " where " + expected + " was due");
                expected = seq;
            }
            assertEquals(expected++, seq, "gap-free from " + from + ": " + e);
        }
        assertTrue(expected > from, "events were replayed");
    }
}
