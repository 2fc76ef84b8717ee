package dev.improv.server.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.dataset.SeamlessExportTest;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import dev.improv.server.webhook.WebhookReceiver;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.parquet.example.data.Group;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live quality flags against a running server (and the webhook kinds of issue 19 on the same session, to spend the
 * server, the takes and the export once: consent.recorded, qc.flag, take.ended, export.finished, consent.withdrawn,
 * each signed, at a real local receiver): a moderator's WebSocket sees {@code qc_flag} events while the
 * scene runs — a take where Ben says nothing raises {@code mostly_silent} for him, a take where both talk at once
 * throughout raises {@code talks_over} for both, a take of normal turn-taking raises none — and the session's
 * export carries the same flags per sample (.json and samples.parquet) next to the measures. Thresholds are
 * scaled down by the server flags so that each take lasts a few seconds.
 */
@Tag("integration")
class LiveQualityEndToEndTest {
    @TempDir
    Path data;

    static boolean isFlag(JsonNode m, int scene, String pid, String flag) {
        return "qc_flag".equals(m.path("type").asText()) && m.path("scene").asInt() == scene
                && m.path("participant").asText().equals(pid) && m.path("flag").asText().equals(flag)
                && m.path("raised").asBoolean();
    }

    static Set<String> flagsOf(TestClient mo, int scene) {
        return mo.ofType("qc_flag").stream().filter(m -> m.path("scene").asInt() == scene)
                .map(m -> m.path("participant").asText() + ":" + m.path("flag").asText() + ":"
                        + m.path("raised").asBoolean())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static void mark(TestClient c, String kind) {
        mark(c, kind, System.currentTimeMillis() * 1000);
    }

    /** A mark at the performer's clock time {@code clientTs}: on the server timeline once their clock is synced. */
    static void mark(TestClient c, String kind, long clientTs) {
        c.send("{\"type\":\"mark\",\"kind\":\"" + kind + "\",\"clientTs\":" + clientTs + "}");
    }

    /** One time sync, so that marks count at their own time, not at when a loaded box delivered them. */
    static void sync(TestClient c, TestClient watcher) {
        long t0 = System.currentTimeMillis() * 1000;
        c.send("{\"type\":\"time_sync\",\"clientTs\":" + t0 + "}");
        JsonNode reply = c.await("time_sync");
        long t3 = Math.max(t0, System.currentTimeMillis() * 1000);
        c.send("{\"type\":\"time_sync_report\",\"clientTs\":" + t0 + ",\"serverRecvTs\":"
                + reply.path("serverRecvTs").asLong() + ",\"serverSendTs\":" + reply.path("serverSendTs").asLong()
                + ",\"clientRecvTs\":" + t3 + "}");
        watcher.await(m -> "clock".equals(m.path("type").asText()) && m.path("actor").asText()
                .equals(c.welcomeId()), "the clock of " + c.welcomeId());
    }

    @Test
    void aSilentPerformerAndConstantOverlapAreFlaggedLiveAndInTheExportNormalTurnsAreNot() throws Exception {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        try (WebhookReceiver receiver = new WebhookReceiver(key, 0);
             TestServer server = TestServer.startWithLog(data, "--qc-interval-ms", "200", "--qc-min-take-s", "2",
                "--qc-min-speech-s", "1", "--qc-long-silence-s", "60", "--take-upload-grace-ms", "1000")) {
            assertEquals(201, server.admin("POST", "/api/webhooks", "{\"id\":\"studio\",\"url\":\""
                    + receiver.url() + "\",\"events\":[\"consent.recorded\",\"qc.flag\",\"take.ended\","
                    + "\"consent.withdrawn\",\"export.finished\"],\"secret\":\"whsec_"
                    + java.util.Base64.getEncoder().encodeToString(key) + "\"}").statusCode());
            JsonNode room = server.createRoom("{\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
            String roomId = room.path("room").path("id").asText();
            String ana = TestServer.link(room, "performer", 0).path("token").asText();
            String ben = TestServer.link(room, "performer", 1).path("token").asText();
            String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
            String benId = TestServer.link(room, "performer", 1).path("participantId").asText();
            try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                    .path("token").asText()));
                 TestClient a = TestClient.join(server.wsUrl(roomId, ana));
                 TestClient b = TestClient.join(server.wsUrl(roomId, ben))) {
                int version = ProtocolCodec.mapper().readTree(server.request("GET", "/api/stage/consent?token=" + ana,
                        null, null).body()).path("version").asInt();
                sync(a, mo);
                sync(b, mo);
                for (String token : List.of(ana, ben)) {
                    assertEquals(200, server.request("POST", "/api/stage/consent?token=" + token, "{\"version\":"
                            + version + ",\"agree\":true}", null).statusCode());
                }

                // take 1: Ana talks, Ben says nothing
                mo.send("{\"type\":\"scene_start\",\"title\":\"Silent Ben\"}");
                mo.await("scene_started");
                mark(a, "speaking_start");
                JsonNode silent = mo.await(m -> isFlag(m, 1, benId, "mostly_silent"), "Ben's mostly_silent");
                assertEquals(0.0, silent.path("value").asDouble());
                assertEquals(0.2, silent.path("threshold").asDouble());
                mark(a, "speaking_stop");
                mo.send("{\"type\":\"scene_end\"}");
                mo.await(m -> "scene_ended".equals(m.path("type").asText()) && m.path("scene").asInt() == 1, "end 1");

                // take 2: both talk at once throughout
                mo.send("{\"type\":\"scene_start\",\"title\":\"Both at once\"}");
                mo.await(m -> "scene_started".equals(m.path("type").asText()) && m.path("scene").asInt() == 2, "2");
                mark(a, "speaking_start");
                mark(b, "speaking_start");
                mo.await(m -> isFlag(m, 2, anaId, "talks_over"), "Ana's talks_over");
                mo.await(m -> isFlag(m, 2, benId, "talks_over"), "Ben's talks_over");
                mark(a, "speaking_stop");
                mark(b, "speaking_stop");
                mo.send("{\"type\":\"scene_end\"}");
                mo.await(m -> "scene_ended".equals(m.path("type").asText()) && m.path("scene").asInt() == 2, "end 2");

                // take 3: turns of 500 ms with 200 ms between them, for 4.2 s (past the 2 s of judging), each mark
                // stamped with its planned time (delivery on a loaded box may lag; the time it counts at does not)
                mo.send("{\"type\":\"scene_start\",\"title\":\"Normal\"}");
                mo.await(m -> "scene_started".equals(m.path("type").asText()) && m.path("scene").asInt() == 3, "3");
                long base = System.currentTimeMillis() * 1000;
                for (int i = 0; i < 6; i++) {
                    TestClient who = i % 2 == 0 ? a : b;
                    long start = base + i * 700_000L;
                    sleepUntil(start);
                    mark(who, "speaking_start", start);
                    sleepUntil(start + 500_000);
                    mark(who, "speaking_stop", start + 500_000);
                }
                sleepUntil(base + 6 * 700_000L);
                mo.send("{\"type\":\"scene_end\"}");
                mo.await(m -> "scene_ended".equals(m.path("type").asText()) && m.path("scene").asInt() == 3, "end 3");

                assertTrue(flagsOf(mo, 1).contains(benId + ":mostly_silent:true"), flagsOf(mo, 1).toString());
                assertTrue(flagsOf(mo, 1).stream().noneMatch(f -> f.contains("talks_over") || f.startsWith(anaId
                        + ":mostly_silent")), flagsOf(mo, 1).toString());
                assertEquals(Set.of(anaId + ":talks_over:true", benId + ":talks_over:true"), flagsOf(mo, 2));
                assertEquals(Set.of(), flagsOf(mo, 3), "normal turn-taking raises nothing");
                assertEquals(1, mo.ofType("qc_flag").stream().filter(m -> isFlag(m, 1, benId, "mostly_silent"))
                        .count(), "raised once, not every evaluation");
            }
            assertEquals(200, server.admin("DELETE", "/api/rooms/" + roomId, null).statusCode());

            // the export: the stage's consent text registered with its scopes, then every closed session
            assertEquals(201, server.admin("POST", "/api/consent/texts", "{\"version\":1,\"text\":\"Recorded for "
                    + "training.\",\"scopes\":[\"training\"]}").statusCode());
            String id = Awaitility.await("the session is closed").atMost(Duration.ofSeconds(30)).until(() -> {
                JsonNode started = ProtocolCodec.mapper().readTree(server.admin("POST", "/api/exports",
                        "{\"name\":\"qc-" + System.nanoTime() + "\"}").body());
                return started.path("id").asText(null);
            }, java.util.Objects::nonNull);
            JsonNode job = Awaitility.await("the export").atMost(Duration.ofSeconds(60)).until(() -> ProtocolCodec
                    .mapper().readTree(server.admin("GET", "/api/exports/" + id, null).body()),
                    j -> !j.path("state").asText().matches("queued|running"));
            assertEquals("done", job.path("state").asText(), job.toString());
            assertEquals(6, job.path("samples").asInt(), job.toString());
            Path out = Path.of(job.path("dir").asText(data.resolve("exports").toString()));
            Map<String, JsonNode> samples = sampleJsons(data.resolve("exports"));
            JsonNode ben1 = sample(samples, 1, benId);
            assertTrue(ben1.path("quality").path("liveFlags").toString().contains("\"flag\":\"mostly_silent\""),
                    ben1.path("quality").toString());
            assertTrue(ben1.path("quality").path("flags").toString().contains("mostly_silent"), "export-time too");
            assertEquals(0.0, ben1.path("quality").path("speechRatio").asDouble());
            for (String pid : List.of(anaId, benId)) {
                JsonNode s2 = sample(samples, 2, pid);
                assertTrue(s2.path("quality").path("liveFlags").toString().contains("\"flag\":\"talks_over\""),
                        s2.toString());
                assertTrue(s2.path("quality").path("overlapRatio").asDouble() > 0.9, s2.toString());
                assertEquals("[]", sample(samples, 3, pid).path("quality").path("liveFlags").toString());
            }
            Map<String, String> liveColumn = new HashMap<>();
            for (Group row : SeamlessExportTest.readParquet(findTable(data.resolve("exports"), "samples.parquet"))) {
                liveColumn.put(row.getString("key", 0), row.getFieldRepetitionCount("qc_live_flags") == 0 ? ""
                        : row.getString("qc_live_flags", 0));
            }
            assertEquals(6, liveColumn.size(), liveColumn.toString() + out);
            assertEquals(Set.of("mostly_silent", "talks_over", ""), new TreeSet<>(liveColumn.values()).stream()
                    .flatMap(v -> Stream.of(v.split(","))).filter(v -> !v.equals("dominates"))
                    .collect(Collectors.toSet()), liveColumn.toString());

            // the webhooks of the same session; then a withdrawal, answered once its event is durable
            var withdrawn = server.admin("POST", "/api/consent/withdrawals", "{\"pid\":\"" + anaId
                    + "\",\"scopes\":[\"synthetic_voice\"],\"reason\":\"private words\"}");
            assertEquals(201, withdrawn.statusCode(), withdrawn.body());
            Awaitility.await("every kind at the receiver").atMost(Duration.ofSeconds(60)).until(() -> receiver
                    .received().stream().map(d -> d.path("type").asText()).collect(Collectors.toSet())
                    .containsAll(Set.of("consent.recorded", "qc.flag", "take.ended", "export.finished",
                            "consent.withdrawn")));
            JsonNode w = kind(receiver, "consent.withdrawn");
            assertEquals(anaId, w.path("data").path("participant").asText());
            assertEquals("[\"synthetic_voice\"]", w.path("data").path("scopes").toString());
            assertTrue(!w.toString().contains("private words"), "the free-text reason stays on the server");
            assertEquals("done", kind(receiver, "export.finished").path("data").path("state").asText());
            assertEquals("qc_flag", kind(receiver, "qc.flag").path("data").path("event").path("type").asText());
            assertEquals(0, receiver.badSignatures(), "every delivery signed with the endpoint's secret");
        }
    }

    static JsonNode kind(WebhookReceiver r, String type) {
        return r.received().stream().filter(d -> d.path("type").asText().equals(type)).findFirst().orElseThrow();
    }

    static void sleepUntil(long epochMicros) throws InterruptedException {
        long ms = epochMicros / 1000 - System.currentTimeMillis();
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    static JsonNode sample(Map<String, JsonNode> samples, int scene, String pid) {
        return samples.values().stream().filter(j -> j.path("scene").asInt() == scene
                        && j.path("participant").asText().equals("P" + pid.replaceAll("[^A-Za-z0-9-]", "-")))
                .findFirst().orElseThrow(() -> new AssertionError("no sample of " + pid + " in scene " + scene + ": "
                        + samples.keySet()));
    }

    static Path findTable(Path exports, String name) throws Exception {
        try (Stream<Path> all = Files.walk(exports)) {
            return all.filter(p -> p.getFileName().toString().equals(name)).findFirst().orElseThrow();
        }
    }

    /** Every sample's .json in the export's shards, by key. */
    static Map<String, JsonNode> sampleJsons(Path exports) throws Exception {
        Map<String, JsonNode> out = new HashMap<>();
        List<Path> shards;
        try (Stream<Path> all = Files.walk(exports)) {
            shards = all.filter(p -> p.toString().endsWith(".tar")).toList();
        }
        for (Path shard : shards) {
            try (InputStream in = Files.newInputStream(shard); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    if (e.getName().endsWith(".json")) {
                        out.put(e.getName(), ProtocolCodec.mapper().readTree(tar.readAllBytes()));
                    }
                }
            }
        }
        return out;
    }
}
