package dev.improv.server.take;

import static dev.improv.server.take.TakeUploadEndToEndTest.pcm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The camera's chunk upload ({@code --take-video}) against a running server: chunks are bytes of the page's WebM
 * stream, stored once; every bad input gets its code, field and reason with nothing stored; when the take ends each
 * recording run becomes one WebM file holding exactly the uploaded bytes in order, placed on the server timeline by
 * its start stamp and the microphone's clock offset, and listed in {@code take_track}.
 */
@Tag("integration")
class TakeVideoUploadEndToEndTest {
    static final long START_US = 1_795_320_805_000_000L;
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data, "--take-video", "--take-video-bitrate", "500000",
                "--take-max-chunk-bytes", "4096", "--take-order-window", "8");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> video(String take, String pid, int index, byte[] body, String token, String extra)
            throws Exception {
        return upload(server, "video", take, pid, index, body, token, extra);
    }

    static HttpResponse<String> audio(String take, String pid, int index, byte[] body, String token, String extra)
            throws Exception {
        return upload(server, "chunks", take, pid, index, body, token, "&clientUs=" + (START_US + 200_000
                + index * 42_667L) + extra);
    }

    @Test
    void cameraChunksBecomeOneWebmPerRecordingRunOnTheTimelineAndBadInputIsRefused() throws Exception {
        JsonNode room = server.createRoom("{\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
        String roomId = room.path("room").path("id").asText();
        String ana = TestServer.link(room, "performer", 0).path("token").asText();
        String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
        String ben = TestServer.link(room, "performer", 1).path("token").asText();
        String benId = TestServer.link(room, "performer", 1).path("participantId").asText();
        try (TestClient mo = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "moderator", 0)
                .path("token").asText()));
             TestClient a = TestClient.join(server.wsUrl(roomId, ana))) {
            JsonNode terms = ProtocolCodec.mapper().readTree(server.request("GET", "/api/stage/consent?token=" + ana,
                    null, null).body());
            assertTrue(terms.path("camera").asBoolean(), "the stage says the camera is recorded: " + terms);
            assertEquals(500_000, terms.path("videoBitsPerSecond").asInt(), terms.toString());
            String take = agreeAndStartScene(server, ana, mo, roomId);
            Path chunks = data.resolve("takes").resolve(roomId).resolve("1").resolve(anaId).resolve("video");

            byte[] c0 = pcm(4096, 10);
            byte[] c1 = pcm(1000, 11);
            byte[] c2 = pcm(3001, 12); // odd lengths are fine: these are WebM bytes, not samples
            String run0 = "&segment=0&startUs=" + START_US;
            assertEquals(201, video(take, anaId, 0, c0, ana, run0 + "&offset=0&untilMs=1000&mimeType="
                    + java.net.URLEncoder.encode("video/webm;codecs=vp8", java.nio.charset.StandardCharsets.UTF_8))
                    .statusCode());
            HttpResponse<String> again = video(take, anaId, 0, c0, ana, run0 + "&offset=0&untilMs=1000");
            assertEquals(200, again.statusCode(), again.body());
            assertTrue(ProtocolCodec.mapper().readTree(again.body()).path("duplicate").asBoolean());
            assertEquals(2, TakeUploadEndToEndTest.chunkFiles(chunks), "one chunk: its bytes and its description");

            TakeUploadEndToEndTest.refused(video(take, anaId, 0, c1, ana, run0 + "&offset=0"), 409, "CHUNK_CONFLICT",
                    "index");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, c1, ana, run0 + "&offset=4000"), 400,
                    "INVALID_FIELD", "offset");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, c1, ana, "&segment=0&startUs=" + (START_US + 1)
                    + "&offset=4096"), 400, "INVALID_FIELD", "startUs");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, c1, ana, run0), 400, "MISSING_FIELD", "offset");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, c1, ana, "&offset=4096"), 400, "MISSING_FIELD",
                    "startUs");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, c1, ana, run0 + "&offset=4096&mimeType=text/html"),
                    400, "INVALID_FIELD", "mimeType");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, new byte[0], ana, run0 + "&offset=4096"), 400,
                    "INVALID_FIELD", "body");
            TakeUploadEndToEndTest.refused(video(take, anaId, 1, pcm(4097, 1), ana, run0 + "&offset=4096"), 413,
                    "MESSAGE_TOO_LARGE", "body");
            TakeUploadEndToEndTest.refused(video(take, anaId, 9, c1, ana, run0 + "&offset=4096"), 400,
                    "INVALID_FIELD", "index");
            TakeUploadEndToEndTest.refused(video(take, benId, 1, c1, ana, run0 + "&offset=4096"), 403,
                    "NOT_AUTHORIZED", "participant");
            TakeUploadEndToEndTest.refused(video(take, benId, 0, c1, ben, run0 + "&offset=0"), 403,
                    "CONSENT_REQUIRED", "participant");
            TakeUploadEndToEndTest.refused(video(roomId + "-7", anaId, 0, c1, ana, run0 + "&offset=0"), 404,
                    "TAKE_NOT_FOUND", "take");
            assertEquals(415, server.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + anaId + "/video/1?token="
                    + ana + "&sha256=" + Takes.sha256(c1) + run0 + "&offset=4096", c1, "application/json")
                    .statusCode());
            assertEquals(2, TakeUploadEndToEndTest.chunkFiles(chunks), "nothing of the refused uploads was stored");

            assertEquals(201, video(take, anaId, 1, c1, ana, run0 + "&offset=4096&untilMs=2000").statusCode());
            // a page reload: a new recording run with its own start, and the microphone's chunks
            String run1 = "&segment=1&startUs=" + (START_US + 5_000_000);
            assertEquals(201, video(take, anaId, 2, c2, ana, run1 + "&offset=0&untilMs=700&last=true").statusCode());
            assertEquals(201, audio(take, anaId, 0, pcm(4096, 0), ana, "&sample=0").statusCode());
            JsonNode status = ProtocolCodec.mapper().readTree(server.request("GET", "/api/takes/status?token=" + ana,
                    null, null).body());
            JsonNode row = status.path("performers").get(0);
            assertEquals(3, row.path("videoChunks").asInt(), status.toString());
            assertEquals(2.7, row.path("videoSeconds").asDouble(), 0.001, "2 s of run 0 and 0.7 s of run 1");

            mo.send("{\"type\":\"scene_end\"}");
            assertEquals(201, audio(take, anaId, 1, pcm(2048, 1), ana, "&sample=2048&last=true").statusCode());
            JsonNode track = mo.await(m -> "take_track".equals(m.path("type").asText()), "the assembled track");
            assertTrue(track.path("complete").asBoolean(), track.toString());
            assertEquals(2, track.path("video").size(), "one file per recording run: " + track);
            Path first = data.resolve(track.path("video").get(0).asText());
            Path second = data.resolve(track.path("video").get(1).asText());
            assertEquals(anaId + ".webm", first.getFileName().toString());
            assertEquals(anaId + ".1.webm", second.getFileName().toString());
            ByteArrayOutputStream run0Bytes = new ByteArrayOutputStream();
            run0Bytes.write(c0);
            run0Bytes.write(c1);
            assertArrayEquals(run0Bytes.toByteArray(), Files.readAllBytes(first), "the bytes uploaded, in order");
            assertArrayEquals(c2, Files.readAllBytes(second));
            JsonNode meta = ProtocolCodec.mapper().readTree(data.resolve(track.path("file").asText()
                    .replace(".wav", ".json")).toFile());
            JsonNode v = meta.path("video");
            assertTrue(v.path("complete").asBoolean(), v.toString());
            assertEquals("video/webm;codecs=vp8", v.path("mimeType").asText());
            assertEquals(START_US + 1000, v.path("files").get(0).path("firstFrameServerUs").asLong(),
                    "the run's start plus the page's clock offset: " + v);
            assertEquals(START_US + 5_001_000, v.path("files").get(1).path("firstFrameServerUs").asLong());
            assertEquals(2000, v.path("files").get(0).path("recordedMs").asLong());
            assertFalse(Files.exists(chunks), "chunks are removed once the files are durable");
            TakeUploadEndToEndTest.refused(video(take, anaId, 3, c1, ana, run1 + "&offset=3001"), 409, "TAKE_CLOSED",
                    "take");
        }
    }

    @Test
    void cameraChunksOnDiskAtARestartAreReadBackAndAssembled(@TempDir Path own) throws Exception {
        byte[] c0 = pcm(3000, 20);
        byte[] c1 = pcm(2000, 21);
        String roomId;
        String anaId;
        String moToken;
        try (TestServer first = TestServer.startWithLog(own, "--take-video")) {
            JsonNode room = first.createRoom("{\"performers\":[\"Ana\"],\"moderators\":[\"Mo\"]}");
            roomId = room.path("room").path("id").asText();
            String ana = TestServer.link(room, "performer", 0).path("token").asText();
            anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
            moToken = TestServer.link(room, "moderator", 0).path("token").asText();
            try (TestClient mo = TestClient.join(first.wsUrl(roomId, moToken));
                 TestClient a = TestClient.join(first.wsUrl(roomId, ana))) {
                String take = agreeAndStartScene(first, ana, mo, roomId);
                String run = "&segment=0&startUs=" + START_US;
                for (HttpResponse<String> r : List.of(
                        upload(first, "video", take, anaId, 0, c0, ana, run + "&offset=0"),
                        upload(first, "video", take, anaId, 1, c1, ana, run + "&offset=3000&last=true"),
                        upload(first, "chunks", take, anaId, 0, pcm(2048, 1), ana, "&sample=0&clientUs="
                                + (START_US + 100_000) + "&last=true"))) {
                    assertEquals(201, r.statusCode(), r.body());
                }
            }
        } // stopped with the scene running: the chunks are only on disk
        try (TestServer second = TestServer.startWithLog(own, "--take-video");
             TestClient mo = TestClient.join(second.wsUrl(roomId, moToken))) {
            mo.send("{\"type\":\"scene_end\"}");
            JsonNode track = mo.await(m -> "take_track".equals(m.path("type").asText()), "the track after the restart");
            assertTrue(track.path("complete").asBoolean(), track.toString());
            assertEquals(1, track.path("video").size(), track.toString());
            ByteArrayOutputStream both = new ByteArrayOutputStream();
            both.write(c0);
            both.write(c1);
            assertArrayEquals(both.toByteArray(), Files.readAllBytes(own.resolve(track.path("video").get(0).asText())),
                    "the camera's chunks read back from disk, in order");
            assertEquals(anaId, track.path("participant").asText());
        }
    }

    /** The performer agrees on the stage, the moderator starts scene 1: its take, once it is open. */
    static String agreeAndStartScene(TestServer on, String performerToken, TestClient mo, String roomId)
            throws Exception {
        int version = ProtocolCodec.mapper().readTree(on.request("GET", "/api/stage/consent?token=" + performerToken,
                null, null).body()).path("version").asInt();
        on.request("POST", "/api/stage/consent?token=" + performerToken, "{\"version\":" + version
                + ",\"agree\":true}", null);
        mo.await(m -> "consent".equals(m.path("type").asText()), "the performer's consent event");
        mo.send("{\"type\":\"scene_start\"}");
        String take = roomId + "-1";
        Awaitility.await("the take is open").atMost(10, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(50))
                .until(() -> take.equals(ProtocolCodec.mapper().readTree(on.request("GET",
                        "/api/takes/status?token=" + performerToken, null, null).body()).path("take").asText()));
        return take;
    }

    static HttpResponse<String> upload(TestServer on, String kind, String take, String pid, int index, byte[] body,
                                       String token, String extra) throws Exception {
        return on.requestBytes("PUT", "/api/takes/" + take + "/tracks/" + pid + "/" + kind + "/" + index + "?token="
                + token + "&sha256=" + Takes.sha256(body) + "&offsetUs=1000&rttUs=800" + extra, body,
                kind.equals("video") ? "video/webm" : "application/octet-stream");
    }
}
