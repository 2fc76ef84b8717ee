package dev.improv.server.app;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.protocol.ProtocolCodec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as the composition root builds it, over real sockets: the session log feature, the admin listener. */
@Tag("integration")
class ServerAppTest {
    private static final String KEY = "test-admin-key-0123456789";

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> call(String method, String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private ServerApp start(String... more) throws Exception {
        String[] base = {"--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString(), "--admin-key", KEY,
                "--shutdown-grace-ms", "2000"};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return ServerApp.start(ServerCommand.parse(args).toConfig());
    }

    @Test
    void aClosedRoomsLogIsListedAndServed() throws Exception {
        try (ServerApp server = start("--session-log", "--fsync", "BATCH")) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> created = call("POST", base + "/api/rooms", KEY);
            assertEquals(201, created.statusCode(), created.body());
            String room = ProtocolCodec.mapper().readTree(created.body()).path("room").path("id").asText();
            assertEquals(200, call("DELETE", base + "/api/rooms/" + room, KEY).statusCode());

            JsonNode session = await().atMost(Duration.ofSeconds(20)).until(
                    () -> ProtocolCodec.mapper().readTree(call("GET", base + "/api/sessions", KEY).body())
                            .path("sessions").path(0),
                    s -> s.path("endedAt").isIntegralNumber());
            assertEquals(room, session.path("roomId").asText());
            String id = session.path("id").asText();

            HttpResponse<String> log = call("GET", base + "/api/sessions/" + id + "/log", KEY);
            assertEquals(200, log.statusCode());
            assertTrue(log.headers().firstValue("content-type").orElse("").startsWith("application/x-ndjson"));
            JsonNode last = ProtocolCodec.mapper().readTree(log.body().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("room_closed", last.path("type").asText());

            HttpResponse<String> dataset = call("GET", base + "/api/sessions/" + id + "/dataset", KEY);
            assertEquals(id, ProtocolCodec.mapper().readTree(dataset.body()).path("sessionId").asText());
            assertEquals(401, call("GET", base + "/api/sessions", null).statusCode());
        }
    }

    @Test
    void withAnAdminPortTheAdminApiAndMetricsLeaveTheMainPort() throws Exception {
        try (ServerApp server = start("--no-session-log", "--admin-port", "0")) {
            assertTrue(server.adminPort() > 0);
            String main = "http://127.0.0.1:" + server.port();
            String admin = "http://127.0.0.1:" + server.adminPort();
            assertEquals(404, call("GET", main + "/api/rooms", KEY).statusCode(), "no admin API on the main port");
            assertEquals(404, call("POST", main + "/api/rooms", KEY).statusCode());
            assertEquals(404, call("GET", main + "/metrics", null).statusCode());
            assertEquals(200, call("GET", main + "/healthz", null).statusCode());
            assertEquals(200, call("GET", main + "/", null).statusCode(), "pages stay on the main port");

            assertEquals(201, call("POST", admin + "/api/rooms", KEY).statusCode());
            assertEquals(401, call("GET", admin + "/api/rooms", null).statusCode(), "still behind the key");
            assertTrue(call("GET", admin + "/metrics", null).body().contains("improv_"));
            assertEquals(200, call("GET", admin + "/healthz", null).statusCode());
            assertEquals(404, call("GET", admin + "/", null).statusCode(), "no pages on the admin port");
            assertEquals(404, call("GET", admin + "/ws/rooms/x", null).statusCode(), "no WebSockets there");
        }
    }
}
