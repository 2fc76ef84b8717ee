package dev.improv.server.take;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk upload API against a running server: a chunk is stored once and confirmed, a duplicate changes
 * nothing, and every bad input (unknown or closed take, another performer's track, no consent, out of order,
 * wrong hash, not contiguous, over size, past the take's and the server's quota, wrong body type, no token) gets
 * its code, field and reason with nothing stored; a complete take is assembled and its take_* events logged.
 */
@Tag("integration")
class TakeUploadEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data, "--take-max-chunk-bytes", "4096", "--take-quota-bytes", "14000",
                "--takes-disk-quota-bytes", "20000", "--take-order-window", "8");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static byte[] pcm(int bytes, int seed) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static HttpResponse<String> put(String take, String pid, int index, byte[] body, String token, String extra)
            throws Exception {
        return server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + pid + "/chunks/" + index + "?token="
                + token + "&sha256=" + Takes.sha256(body) + "&clientUs=" + (1_795_320_805_000_000L + index * 42_667L)
                + "&offsetUs=1000&rttUs=800" + extra, body, "application/octet-stream");
    }

    static void refused(HttpResponse<String> r, int status, String code, String field) throws Exception {
        JsonNode e = ProtocolCodec.mapper().readTree(r.body());
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, e.path("code").asText(), r.body());
        assertEquals(field, e.path("field").isNull() ? null : e.path("field").asText(), r.body());
        assertFalse(e.path("message").asText().isBlank(), "a reason: " + r.body());
    }

    static long chunkFiles(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void chunksAreStoredOnceAndEveryBadInputIsRefusedWithItsReasonAndNothingStored() throws Exception {
        JsonNode room = server.createRoom("{\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
        String roomId = room.path("room").path("id").asText();
        JsonNode anaLink = TestServer.link(room, "performer", 0);
        JsonNode benLink = TestServer.link(room, "performer", 1);
        String ana = anaLink.path("token").asText();
        String ben = benLink.path("token").asText();
        String anaId = anaLink.path("participantId").asText();
        String benId = benLink.path("participantId").asText();
        try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                .path("token").asText()));
             TestClient a = TestClient.join(server.wsUrl(roomId, ana));
             TestClient b = TestClient.join(server.wsUrl(roomId, ben))) {
            // consent on the stage: the room's text, then Ana agrees (a consent event), Ben declines
            JsonNode terms = ProtocolCodec.mapper().readTree(server.request("GET", "/api/stage/consent?token=" + ana,
                    null, null).body());
            int version = terms.path("version").asInt();
            assertTrue(terms.path("answer").isNull() || terms.path("answer").isMissingNode(), terms.toString());
            refused(server.request("POST", "/api/stage/consent?token=" + ana, "{\"version\":" + (version + 1)
                    + ",\"agree\":true}", null), 409, "CONSENT_REQUIRED", "version");
            assertEquals("agreed", ProtocolCodec.mapper().readTree(server.request("POST", "/api/stage/consent?token="
                    + ana, "{\"version\":" + version + ",\"agree\":true}", null).body()).path("answer").asText());
            assertEquals("declined", ProtocolCodec.mapper().readTree(server.request("POST",
                    "/api/stage/consent?token=" + ben, "{\"version\":" + version + ",\"agree\":false}", null).body())
                    .path("answer").asText());
            JsonNode consent = mo.await(m -> "consent".equals(m.path("type").asText()), "Ana's consent event");
            assertEquals(anaId, consent.path("participant").asText());
            assertEquals("stage", consent.path("via").asText());
            assertEquals(version, consent.path("consentVersion").asInt());

            refused(put(roomId + "-1", anaId, 0, pcm(4096, 0), ana, "&sample=0"), 404, "TAKE_NOT_FOUND", "take");
            mo.send("{\"type\":\"scene_start\",\"title\":\"One\"}");
            String take = roomId + "-1";
            Awaitility.await("the take is open").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                    .until(() -> take.equals(ProtocolCodec.mapper().readTree(server.request("GET",
                            "/api/takes/status?token=" + ana, null, null).body()).path("take").asText()));
            Path anaChunks = data.resolve("takes").resolve(roomId).resolve("1").resolve(anaId).resolve("chunks");

            HttpResponse<String> first = put(take, anaId, 0, pcm(4096, 0), ana, "&sample=0&recorded=4096");
            assertEquals(201, first.statusCode(), first.body());
            HttpResponse<String> again = put(take, anaId, 0, pcm(4096, 0), ana, "&sample=0");
            assertEquals(200, again.statusCode(), again.body());
            assertTrue(ProtocolCodec.mapper().readTree(again.body()).path("duplicate").asBoolean());
            assertEquals(2, chunkFiles(anaChunks), "one chunk: its PCM and its description");

            refused(put(take, anaId, 0, pcm(4096, 9), ana, "&sample=0"), 409, "CHUNK_CONFLICT", "index");
            refused(put(take, benId, 1, pcm(4096, 1), ana, "&sample=2048"), 403, "NOT_AUTHORIZED", "participant");
            refused(put(take, benId, 0, pcm(4096, 1), ben, "&sample=0"), 403, "CONSENT_REQUIRED", "participant");
            refused(put(take, anaId, 9, pcm(4096, 1), ana, "&sample=18432"), 400, "INVALID_FIELD", "index");
            refused(put(take, anaId, 1, pcm(4096, 1), ana, "&sample=2000"), 400, "INVALID_FIELD", "sample");
            refused(put(take, anaId, 1, pcm(4098, 1), ana, "&sample=2048"), 413, "MESSAGE_TOO_LARGE", "body");
            refused(put(take, anaId, 1, pcm(4095, 1), ana, "&sample=2048"), 400, "INVALID_FIELD", "body");
            refused(put(take, anaId, 1, pcm(4096, 1), ana, "&sample=2048&capture=webaudio"), 400, "INVALID_FIELD",
                    "capture");
            byte[] body = pcm(4096, 1);
            refused(server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/chunks/1?token=" + ana
                    + "&sha256=" + Takes.sha256(pcm(4096, 2)) + "&sample=2048&clientUs=1795320805100000", body,
                    "application/octet-stream"), 400, "INVALID_FIELD", "sha256");
            refused(server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/chunks/1?token=" + ana
                    + "&sha256=" + Takes.sha256(body) + "&clientUs=1795320805100000", body,
                    "application/octet-stream"), 400, "MISSING_FIELD", "sample");
            refused(server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/chunks/1?sha256="
                    + Takes.sha256(body) + "&sample=2048&clientUs=1795320805100000", body,
                    "application/octet-stream"), 401, "TOKEN_INVALID", "token");
            assertEquals(415, server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/chunks/1?token="
                    + ana + "&sha256=" + Takes.sha256(body) + "&sample=2048&clientUs=1795320805100000", body,
                    "application/json").statusCode());
            refused(server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/video/0?token=" + ana
                    + "&sha256=" + Takes.sha256(body) + "&offset=0&startUs=1795320805100000", body, "video/webm"),
                    403, "NOT_AUTHORIZED", "video");
            assertEquals(2, chunkFiles(anaChunks), "nothing of the refused uploads was stored");

            assertEquals(201, put(take, anaId, 1, pcm(4096, 1), ana, "&sample=2048").statusCode());
            assertEquals(201, put(take, anaId, 2, pcm(4096, 2), ana, "&sample=4096").statusCode());
            refused(put(take, anaId, 3, pcm(4096, 3), ana, "&sample=6144"), 507, "QUOTA_EXCEEDED", "body");
            assertEquals(6, chunkFiles(anaChunks));

            // the console's view while the scene runs
            JsonNode status = ProtocolCodec.mapper().readTree(server.request("GET", "/api/takes/status?token="
                    + TestServer.link(room, "moderator", 0).path("token").asText(), null, null).body());
            assertEquals("recording", status.path("state").asText());
            JsonNode anaRow = null;
            JsonNode benRow = null;
            for (JsonNode p : status.path("performers")) {
                if (p.path("participant").asText().equals(anaId)) {
                    anaRow = p;
                } else if (p.path("participant").asText().equals(benId)) {
                    benRow = p;
                }
            }
            assertEquals("agreed", anaRow.path("consent").asText());
            assertEquals(3, anaRow.path("chunks").asInt());
            assertEquals(0.13, anaRow.path("uploadedSeconds").asDouble(), 0.001, "6144 samples");
            assertEquals("declined", benRow.path("consent").asText());

            mo.send("{\"type\":\"scene_end\"}");
            mo.await(m -> "scene_ended".equals(m.path("type").asText()), "scene ended");
            // chunks still on the page may come after the scene's end; the last one completes the take
            assertEquals(201, put(take, anaId, 3, pcm(1024, 3), ana, "&sample=6144&last=true").statusCode());
            JsonNode track = mo.await(m -> "take_track".equals(m.path("type").asText()), "the assembled track");
            JsonNode ended = mo.await(m -> "take_ended".equals(m.path("type").asText()), "the take's end");
            assertTrue(track.path("complete").asBoolean(), track.toString());
            assertEquals(4, track.path("chunks").asInt());
            assertEquals(6656, track.path("samples").asLong());
            assertEquals(1_795_320_805_001_000L, track.path("firstSampleServerUs").asLong(), 2, track.toString());
            assertTrue(ended.path("complete").asBoolean(), ended.toString());
            assertEquals("declined consent", ended.path("notRecorded").path(benId).asText(), ended.toString());
            Path wav = data.resolve(track.path("file").asText());
            assertEquals(44 + 6656 * 2, Files.size(wav));
            JsonNode meta = ProtocolCodec.mapper().readTree(wav.resolveSibling(anaId + ".json").toFile());
            assertTrue(meta.path("complete").asBoolean());
            assertFalse(Files.exists(anaChunks), "chunks are removed once the track is durable");
            refused(put(take, anaId, 4, pcm(1024, 4), ana, "&sample=6656"), 409, "TAKE_CLOSED", "take");

            // a second take runs into the server's quota (the first one's WAV counts)
            mo.send("{\"type\":\"scene_start\"}");
            String take2 = roomId + "-2";
            Awaitility.await("take 2 is open").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                    .until(() -> take2.equals(ProtocolCodec.mapper().readTree(server.request("GET",
                            "/api/takes/status?token=" + ana, null, null).body()).path("take").asText()));
            assertEquals(201, put(take2, anaId, 0, pcm(4096, 5), ana, "&sample=0").statusCode());
            refused(put(take2, anaId, 1, pcm(4096, 6), ana, "&sample=2048"), 507, "QUOTA_EXCEEDED", "body");
            String metrics = server.metrics();
            assertTrue(metrics.contains("improv_takes_disk_quota_bytes 20000.0"), "quota in /metrics");
            assertTrue(metrics.contains("improv_take_chunks_refused_total{code=\"QUOTA_EXCEEDED\"} 2.0"), metrics);
            assertTrue(metrics.contains("improv_take_chunks_stored_total 5.0"), metrics);
        }
    }

    @Test
    void aRoomCreatedWithItsOwnConsentTextShowsItOnTheStageAndLogsItsVersion() throws Exception {
        refused(server.admin("POST", "/api/rooms", "{\"consentVersion\":3}"), 400, "INVALID_FIELD", "consentText");
        JsonNode room = server.createRoom("{\"performers\":[\"Ana\"],\"consentVersion\":3,"
                + "\"consentText\":\"Studio X records this scene for speech research.\"}");
        String roomId = room.path("room").path("id").asText();
        String ana = TestServer.link(room, "performer", 0).path("token").asText();
        JsonNode terms = ProtocolCodec.mapper().readTree(server.request("GET", "/api/stage/consent?token=" + ana, null,
                null).body());
        assertEquals(3, terms.path("version").asInt());
        assertEquals("Studio X records this scene for speech research.", terms.path("text").asText());
        refused(server.request("POST", "/api/stage/consent?token=" + ana, "{\"version\":1,\"agree\":true}", null),
                409, "CONSENT_REQUIRED", "version");
        try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                .path("token").asText()))) {
            assertEquals("agreed", ProtocolCodec.mapper().readTree(server.request("POST", "/api/stage/consent?token="
                    + ana, "{\"version\":3,\"agree\":true}", null).body()).path("answer").asText());
            assertEquals(3, mo.await(m -> "consent".equals(m.path("type").asText()), "the consent event")
                    .path("consentVersion").asInt());
        }
        assertTrue(Files.isRegularFile(data.resolve("takes").resolve(roomId).resolve("consent.json")),
                "kept for a restart");
    }

    @Test
    void aRefusalOfConsentIsWrittenDownAndKeptOverARestart(@TempDir Path own) throws Exception {
        String roomId;
        String ben;
        try (TestServer first = TestServer.startWithLog(own)) {
            JsonNode room = first.createRoom("{\"performers\":[\"Ben\"]}");
            roomId = room.path("room").path("id").asText();
            ben = TestServer.link(room, "performer", 0).path("token").asText();
            int version = ProtocolCodec.mapper().readTree(first.request("GET", "/api/stage/consent?token=" + ben, null,
                    null).body()).path("version").asInt();
            for (int i = 0; i < 2; i++) { // the same answer twice is one fact
                assertEquals("declined", ProtocolCodec.mapper().readTree(first.request("POST",
                        "/api/stage/consent?token=" + ben, "{\"version\":" + version + ",\"agree\":false}", null)
                        .body()).path("answer").asText());
            }
            List<String> lines = Files.readAllLines(own.resolve("takes").resolve(roomId).resolve("declines.jsonl"));
            assertEquals(1, lines.size(), lines.toString());
            JsonNode fact = ProtocolCodec.mapper().readTree(lines.get(0));
            assertEquals(version, fact.path("consentVersion").asInt(), fact.toString());
            assertTrue(fact.path("declinedAtUs").asLong() > 0, fact.toString());
        }
        try (TestServer second = TestServer.startWithLog(own)) {
            assertEquals("declined", ProtocolCodec.mapper().readTree(second.request("GET", "/api/stage/consent?token="
                    + ben, null, null).body()).path("answer").asText(), "the refusal, read back after the restart");
        }
    }
}
