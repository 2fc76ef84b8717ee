package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The session export routes behind the route table, over real files in a temporary data directory. */
@Tag("integration")
class SessionRoutesTest {
    private static final String SECRET = "top-secret-admin-key";
    private static final String SESSION = "20240101T000000Z-room1-abcd";

    @TempDir
    Path dataDir;

    private HttpChannel http;

    @BeforeEach
    void setUp() throws Exception {
        // a file outside the sessions folder that no request may reach
        Files.writeString(dataDir.resolve("admin-key"), SECRET);
        FileWriteAheadLog writer = FileWriteAheadLog.open(dataDir,
                FileWriteAheadLog.Settings.of(FsyncPolicy.BATCH, 50), new ServerMetrics());
        SessionMeta meta = new SessionMeta(SESSION, "room1", "Room one", 1_000, null, 1, "test",
                List.of(new SessionMeta.ParticipantInfo("p-1", "Ada", Role.PERFORMER, 1_000, 1)), List.of());
        SessionJournal.JournalSession session = writer.open(meta, seq -> { });
        session.append(1, "{\"type\":\"scene_started\",\"seq\":1,\"ts\":2000,\"actor\":\"m-1\",\"scene\":1}"
                .getBytes(StandardCharsets.UTF_8));
        session.append(2, "{\"type\":\"scene_ended\",\"seq\":2,\"ts\":3000,\"actor\":\"m-1\",\"scene\":1}"
                .getBytes(StandardCharsets.UTF_8));
        session.close(meta);
        writer.close();
        http = new HttpChannel(new SessionRoutes(new SessionFiles(dataDir), Runnable::run).routes());
    }

    @AfterEach
    void tearDown() {
        http.close();
    }

    private HttpChannel.Response get(String uri) {
        return http.admin(HttpMethod.GET, uri, null);
    }

    @Test
    void listsSessionsFromTheirMetadata() {
        HttpChannel.Response r = get("/api/sessions");
        assertEquals(HttpResponseStatus.OK, r.status());
        JsonNode session = r.json().path("sessions").path(0);
        assertEquals(SESSION, session.path("id").asText());
        assertEquals("room1", session.path("roomId").asText());
        assertEquals("Room one", session.path("roomName").asText());
        assertEquals(1, session.path("participants").asInt());
        assertEquals(0, session.path("scenes").asInt());
        assertTrue(session.path("logBytes").asLong() > 0);
    }

    @Test
    void servesTheLogAsNdjson() {
        HttpChannel.Response r = get("/api/sessions/" + SESSION + "/log");
        assertEquals(HttpResponseStatus.OK, r.status());
        assertEquals("application/x-ndjson; charset=utf-8", r.headers().get("content-type"));
        List<String> lines = r.body().lines().toList();
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).contains("\"seq\":1"));
        assertTrue(r.body().endsWith("\n"));
    }

    @Test
    void servesTheDatasetView() {
        JsonNode d = get("/api/sessions/" + SESSION + "/dataset").json();
        assertEquals(SESSION, d.path("sessionId").asText());
        assertEquals(10, d.path("vadFrameMs").asInt());
        assertEquals(1, d.path("scenes").size());
        assertEquals("p-1", d.path("scenes").path(0).path("performers").path(0).path("participant").asText());
        assertEquals("room1", get("/api/sessions/" + SESSION).json().path("roomId").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "/api/sessions/../admin-key",
            "/api/sessions/..%2Fadmin-key/log",
            "/api/sessions/%2e%2e/log",
            "/api/sessions/..%5C..%5Cadmin-key/log",
            "/api/sessions/" + SESSION + "%00/log",
            "/api/sessions/a.b/log",
            "/api/sessions/%2Ftmp/log",
    })
    void pathTraversalIsRefused(String uri) {
        HttpChannel.Response r = get(uri);
        assertTrue(r.status().equals(HttpResponseStatus.BAD_REQUEST) || r.status().equals(HttpResponseStatus.NOT_FOUND),
                uri + " -> " + r.status());
        assertFalse(r.body().contains(SECRET), uri);
        assertFalse(r.body().contains("seq"), uri);
    }

    @Test
    void invalidIdIsAFieldError() {
        HttpChannel.Response r = get("/api/sessions/..%2F..%2Fetc/log");
        assertEquals(HttpResponseStatus.BAD_REQUEST, r.status());
        assertEquals("id", r.json().path("field").asText());
        assertEquals("INVALID_FIELD", r.json().path("code").asText());
    }

    @Test
    void unknownSessionAndUnknownViewAreNotFound() {
        HttpChannel.Response none = get("/api/sessions/nope/log");
        assertEquals(HttpResponseStatus.NOT_FOUND, none.status());
        assertEquals("SESSION_NOT_FOUND", none.json().path("code").asText());
        assertEquals("NOT_FOUND", get("/api/sessions/" + SESSION + "/other").json().path("code").asText());
        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/" + SESSION + "/log/more").status());
    }

    @Test
    void onlyAdminsAndOnlyGet() {
        assertEquals(HttpResponseStatus.UNAUTHORIZED, http.get("/api/sessions").status());
        assertEquals(HttpResponseStatus.UNAUTHORIZED, http.get("/api/sessions/" + SESSION + "/log").status());
        HttpChannel.Response delete = http.admin(HttpMethod.DELETE, "/api/sessions/" + SESSION, null);
        assertEquals(HttpResponseStatus.METHOD_NOT_ALLOWED, delete.status());
        assertEquals("GET, HEAD", delete.headers().get("allow"));
    }

    @Test
    void aSymbolicLinkInTheDataDirIsNotFollowed() throws Exception {
        Path outside = Files.createDirectories(dataDir.resolve("elsewhere"));
        Files.writeString(outside.resolve(SessionFiles.EVENTS), "{\"type\":\"secret\",\"seq\":1}\n");
        Files.createSymbolicLink(dataDir.resolve("sessions").resolve("20240101T000000Z-linked-abcd"), outside);
        Path real = dataDir.resolve("sessions").resolve(SESSION);
        Files.move(real.resolve(SessionFiles.EVENTS), outside.resolve("moved.jsonl"));
        Files.createSymbolicLink(real.resolve(SessionFiles.EVENTS), outside.resolve("moved.jsonl"));

        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/20240101T000000Z-linked-abcd/log").status());
        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/" + SESSION + "/log").status());
        assertEquals(0, get("/api/sessions").json().path("sessions").size(), "linked sessions are not listed");
    }
}
