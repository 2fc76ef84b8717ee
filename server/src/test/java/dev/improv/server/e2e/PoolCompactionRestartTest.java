package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pool facts are compacted, for real: a server process with 1 MiB log segments runs a pool whose queue holds two
 * performers while a third joins and leaves 1,600 times (about 4 MB of pool facts, several segment rolls,
 * a pool snapshot after each). The segments that held only facts older than the pool's snapshots (and a session
 * that was exported) are deleted while it runs; after a SIGKILL and a restart the pool is back from its last
 * snapshot and the facts after it: the same queue order, waiting time that went on, the same partner history and
 * time accounting.
 */
@Tag("integration")
class PoolCompactionRestartTest {
    private static final String POOL = "compacted-pool";
    /** Join and leave cycles of the churning performer: ~2.4 KB of log per cycle, ~3.9 MB in all. */
    private static final int CYCLES = 1_600;
    /** Cycles per burst: under half a segment of log. */
    private static final int BURST = 200;

    @TempDir
    Path data;

    private long t0;

    private void phase(String what) {
        System.out.printf("pool compaction test phase: %-22s %6d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void oldSegmentsGoAndThePoolComesBackFromItsSnapshot() throws Exception {
        t0 = System.nanoTime();
        String[] flags = {"--log-segment-bytes", "1048576", "--log-checkpoint-bytes", "1048576",
                "--ws-read-bytes-per-second", "67108864", "--resume-window-ms", "60000"};
        Map<String, String> links = new HashMap<>();
        Map<String, JsonNode> timeBefore = new HashMap<>();
        Map<Integer, Long> segmentsBefore;
        try (KillableServer first = KillableServer.start(data, flags)) {
            phase("first started");
            assertEquals(201, first.admin("POST", "/api/pools", "{\"id\":\"" + POOL + "\",\"consentVersion\":1,"
                    + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
            for (String who : List.of("mod", "p1", "p2", "p3", "p4", "churn")) {
                JsonNode link = first.adminJson("POST", "/api/pools/" + POOL + "/links", "{\"role\":\""
                        + (who.equals("mod") ? "moderator" : "performer") + "\",\"name\":\"" + who + "\"}");
                links.put(who, "/ws/lobby/" + POOL + "?token=" + link.path("token").asText());
                links.put(who + ".id", link.path("participantId").asText());
            }
            // p1 and p2 are matched, play a scene and their room closes (its session is exported)
            TestClient mod = TestClient.connect(first.ws(links.get("mod")));
            mod.await("lobby_welcome");
            TestClient p1 = queue(first, links.get("p1"), "en");
            TestClient p2 = queue(first, links.get("p2"), "en");
            for (TestClient p : List.of(p1, p2)) {
                p.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + p.await("lobby_offer").path("offerId").asText()
                        + "\"}");
            }
            JsonNode m1 = p1.await("lobby_matched");
            JsonNode m2 = p2.await("lobby_matched");
            JsonNode mm = mod.await("lobby_matched");
            String room = m1.path("roomId").asText();
            TestClient r1 = TestClient.join(first.ws("/ws/rooms/" + room + "?token=" + m1.path("token").asText()));
            TestClient r2 = TestClient.join(first.ws("/ws/rooms/" + room + "?token=" + m2.path("token").asText()));
            TestClient rm = TestClient.join(first.ws("/ws/rooms/" + room + "?token=" + mm.path("token").asText()));
            rm.send("{\"type\":\"scene_start\",\"title\":\"one\"}");
            r1.await("scene_started");
            Thread.sleep(200);
            rm.send("{\"type\":\"scene_end\"}");
            r2.await("scene_ended");
            assertEquals(200, first.admin("DELETE", "/api/rooms/" + room, null).statusCode());
            phase("scene played");
            // p3 and p4 wait, in this order (no common language)
            TestClient p3 = queue(first, links.get("p3"), "fr");
            assertEquals(1, p3.await("lobby_queued").path("position").asInt());
            TestClient p4 = queue(first, links.get("p4"), "de");
            assertEquals(2, p4.await("lobby_queued").path("position").asInt());

            // the churn: big joins (16 languages, tags and avoids of 40 characters) and leaves, pipelined
            TestClient churn = TestClient.connect(first.ws(links.get("churn")));
            churn.await("lobby_welcome");
            String join = bigJoin();
            // in bursts of under half a segment with a pause of more than a lobby tick after each: every roll is
            // answered by a snapshot before the next one (answering two rolls with one is fine, but then which
            // segments go is harder to predict)
            for (int burst = 0; burst * BURST < CYCLES; burst++) {
                for (int i = 0; i < BURST; i++) {
                    churn.send(join);
                    churn.send("{\"type\":\"lobby_leave\"}");
                }
                int done = (burst + 1) * BURST;
                Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> churn.ofType("lobby_left").size() >= done);
                Thread.sleep(300);
            }
            phase("churn done");
            // retention deletes the first segments once later snapshots of the pool are durable
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> !segments().containsKey(1)
                    && !segments().containsKey(2));
            segmentsBefore = segments();
            for (String p : List.of("p1", "p2", "p3", "p4")) {
                String pid = links.get(p + ".id");
                timeBefore.put(pid, first.adminJson("GET", "/api/pools/" + POOL + "/performers/" + pid + "/time",
                        null));
            }
            assertEquals(1, timeBefore.get(links.get("p1.id")).path("scenesCompleted").asInt());
            assertTrue(first.output().stream().anyMatch(l -> l.contains("deleted 0000000001.wal")),
                    "the server log says which segment retention deleted");
            first.output().stream().filter(l -> l.contains("deleted") || l.contains("checkpoint at"))
                    .forEach(l -> System.out.println("first server: " + l));
            phase("segments deleted");
            first.kill();
            for (TestClient c : List.of(mod, p1, p2, p3, p4, churn, r1, r2, rm)) {
                c.abort();
            }
        }
        int last = segmentsBefore.keySet().stream().mapToInt(Integer::intValue).max().orElseThrow();
        long onDisk = segmentsBefore.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("pool compaction: %d segments written (~%d KiB of log), %d on disk at the kill (%d KiB): "
                + "%s%n", last, (last - 1) * 1024 + segmentsBefore.get(last) / 1024, segmentsBefore.size(),
                onDisk / 1024, segmentsBefore.keySet());
        assertTrue(last >= 4, "the churn rolled several segments: " + segmentsBefore);

        try (KillableServer second = KillableServer.start(data, flags)) {
            phase("second started");
            JsonNode pool = second.adminJson("GET", "/api/pools/" + POOL, null);
            assertEquals(2, pool.path("waiting").asInt(), pool.toString());
            assertFalse(second.output().stream().anyMatch(l -> l.contains("not rebuilt")), "the pool had a start");
            // same queue order
            TestClient p3 = queue(second, links.get("p3"), "fr");
            assertEquals(1, p3.await("lobby_queued").path("position").asInt());
            TestClient p4 = queue(second, links.get("p4"), "de");
            assertEquals(2, p4.await("lobby_queued").path("position").asInt());
            // time accounting: closed intervals as before, the waiting time of p3 and p4 went on through the restart
            for (Map.Entry<String, JsonNode> t : timeBefore.entrySet()) {
                JsonNode now = second.adminJson("GET", "/api/pools/" + POOL + "/performers/" + t.getKey() + "/time",
                        null);
                JsonNode before = t.getValue();
                boolean waiting = t.getKey().equals(links.get("p3.id")) || t.getKey().equals(links.get("p4.id"));
                for (String f : List.of("offerMs", "sceneMs", "scenesCompleted")) {
                    assertEquals(before.path(f).asLong(), now.path(f).asLong(), f + ": " + before + " vs " + now);
                }
                if (waiting) {
                    assertTrue(now.path("lobbyMs").asLong() > before.path("lobbyMs").asLong(), before + " " + now);
                } else {
                    assertEquals(before.path("lobbyMs").asLong(), now.path("lobbyMs").asLong(), before + " " + now);
                }
            }
            phase("queue and time");
            // partner history: p1 and p2 queue again and are not paired again
            TestClient p1 = queue(second, links.get("p1"), "en");
            TestClient p2 = queue(second, links.get("p2"), "en");
            p2.await("lobby_queued");
            Thread.sleep(1_500); // six lobby ticks: time enough to pair them if the history were gone
            assertTrue(p1.ofType("lobby_offer").isEmpty() && p2.ofType("lobby_offer").isEmpty(),
                    "recent partners are not paired again");
            Map<Integer, Long> after = segments();
            assertFalse(after.containsKey(1) || after.containsKey(2), "deleted segments stay deleted: " + after);
            for (TestClient c : List.of(p1, p2, p3, p4)) {
                c.abort();
            }
        }
    }

    /** Segment number to size, of the log's segments on disk. */
    private Map<Integer, Long> segments() throws IOException {
        Map<Integer, Long> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(data.resolve("wal"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.matches("\\d{10}\\.wal")) {
                    out.put(Integer.parseInt(name.substring(0, 10)), Files.size(f));
                }
            }
        }
        return out;
    }

    private static String bigJoin() {
        return "{\"type\":\"lobby_join\",\"languages\":[" + sixteen("l") + "],\"tags\":[" + sixteen("t")
                + "],\"avoid\":[" + sixteen("a") + "],\"consentVersion\":1}";
    }

    /** The most a lobby_join list may hold: 16 items of 40 characters, starting with {@code prefix}. */
    private static String sixteen(String prefix) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            out.append(i == 0 ? "" : ",").append('"').append(prefix).append(String.format("%02d", i))
                    .append("x".repeat(37)).append('"');
        }
        return out.toString();
    }

    private static TestClient queue(KillableServer server, String path, String language) {
        TestClient p = TestClient.connect(server.ws(path));
        p.await("lobby_welcome");
        p.send("{\"type\":\"lobby_join\",\"languages\":[\"" + language + "\"],\"consentVersion\":1}");
        return p;
    }
}
