package dev.improv.server.eventlog.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.FsyncPolicy;
import dev.improv.server.eventlog.FileWriteAheadLog;
import dev.improv.server.eventlog.SessionArchive;
import dev.improv.server.eventlog.SessionFiles;
import dev.improv.server.http.HttpResponses;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.SessionJournal;
import dev.improv.server.room.SessionMeta;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SessionExportRoutesTest {
    private static final String SECRET = "top-secret-admin-key";
    private static final String SESSION = "20240101T000000Z-room1-abcd";

    @TempDir
    Path dataDir;

    private EmbeddedChannel channel;
    private boolean admin = true;

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

        SessionExportRoutes routes = new SessionExportRoutes(new SessionArchive(new SessionFiles(dataDir)),
                Runnable::run);
        channel = new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                if (!routes.handle(ctx, request, new QueryStringDecoder(request.uri()), admin)) {
                    HttpResponses.sendError(ctx, request, HttpResponseStatus.NOT_FOUND, "not_found", "not mine");
                }
            }
        });
    }

    @AfterEach
    void tearDown() {
        assertFalse(channel.finishAndReleaseAll());
    }

    private record Response(HttpResponseStatus status, String contentType, String body) {
        JsonNode json() throws Exception {
            return ProtocolCodec.mapper().readTree(body);
        }
    }

    private Response request(HttpMethod method, String uri) {
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri));
        FullHttpResponse response = channel.readOutbound();
        assertNotNull(response, "no response to " + uri);
        try {
            return new Response(response.status(), response.headers().get(HttpHeaderNames.CONTENT_TYPE),
                    response.content().toString(StandardCharsets.UTF_8));
        } finally {
            response.release();
        }
    }

    private Response get(String uri) {
        return request(HttpMethod.GET, uri);
    }

    @Test
    void listsSessionsFromTheirMetadata() throws Exception {
        Response r = get("/api/sessions");
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
        Response r = get("/api/sessions/" + SESSION + "/log");
        assertEquals(HttpResponseStatus.OK, r.status());
        assertEquals("application/x-ndjson; charset=utf-8", r.contentType());
        List<String> lines = r.body().lines().toList();
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).contains("\"seq\":1"));
        assertTrue(r.body().endsWith("\n"));
    }

    @Test
    void servesTheDatasetView() throws Exception {
        JsonNode d = get("/api/sessions/" + SESSION + "/dataset").json();
        assertEquals(SESSION, d.path("sessionId").asText());
        assertEquals(10, d.path("vadFrameMs").asInt());
        assertEquals(1, d.path("scenes").size());
        assertEquals("p-1", d.path("scenes").path(0).path("performers").path(0).path("participant").asText());
        JsonNode meta = get("/api/sessions/" + SESSION).json();
        assertEquals("room1", meta.path("roomId").asText());
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
        Response r = get(uri);
        assertTrue(r.status().equals(HttpResponseStatus.BAD_REQUEST) || r.status().equals(HttpResponseStatus.NOT_FOUND),
                uri + " -> " + r.status());
        assertFalse(r.body().contains(SECRET), uri);
        assertFalse(r.body().contains("seq"), uri);
    }

    @Test
    void invalidIdIsAFieldError() throws Exception {
        Response r = get("/api/sessions/..%2F..%2Fetc/log");
        assertEquals(HttpResponseStatus.BAD_REQUEST, r.status());
        assertEquals("id", r.json().path("field").asText());
    }

    @Test
    void unknownSessionAndUnknownViewAreNotFound() {
        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/nope/log").status());
        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/" + SESSION + "/other").status());
        assertEquals(HttpResponseStatus.NOT_FOUND, get("/api/sessions/" + SESSION + "/log/more").status());
    }

    @Test
    void onlyAdminsAndOnlyGet() {
        admin = false;
        assertEquals(HttpResponseStatus.UNAUTHORIZED, get("/api/sessions").status());
        assertEquals(HttpResponseStatus.UNAUTHORIZED, get("/api/sessions/" + SESSION + "/log").status());
        admin = true;
        assertEquals(HttpResponseStatus.METHOD_NOT_ALLOWED,
                request(HttpMethod.DELETE, "/api/sessions/" + SESSION).status());
    }

    @Test
    void otherPathsAreLeftToOtherRoutes() {
        Response r = get("/api/sessionsx");
        assertEquals("{\"error\":\"not_found\",\"message\":\"not mine\"}", r.body());
    }
}
