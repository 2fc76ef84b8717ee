package dev.improv.server.eventlog.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.transport.ImprovServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The whole path through a running server: a room's events land in its session log and come back out. */
@Tag("integration")
class SessionLogFeaturesTest {
    private static final String KEY = "test-admin-key-0123456789";

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpResponse<String> call(String method, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aClosedRoomsLogIsListedAndServed() throws Exception {
        ServerCommand command = new ServerCommand();
        new CommandLine(command).parseArgs("--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.toString(),
                "--admin-key", KEY, "--session-log", "--fsync", "BATCH");
        ServerConfig config = command.toConfig();
        try (ImprovServer server = ImprovServer.start(config, metrics -> new SessionLogFeatures(config, metrics))) {
            String base = "http://127.0.0.1:" + server.port();
            HttpResponse<String> created = call("POST", base + "/api/rooms");
            assertEquals(201, created.statusCode(), created.body());
            String room = ProtocolCodec.mapper().readTree(created.body()).path("room").path("id").asText();
            assertEquals(200, call("DELETE", base + "/api/rooms/" + room).statusCode());

            JsonNode session = await().atMost(Duration.ofSeconds(20)).until(
                    () -> ProtocolCodec.mapper().readTree(call("GET", base + "/api/sessions").body())
                            .path("sessions").path(0),
                    s -> s.path("endedAt").isIntegralNumber());
            assertEquals(room, session.path("roomId").asText());
            String id = session.path("id").asText();

            HttpResponse<String> log = call("GET", base + "/api/sessions/" + id + "/log");
            assertEquals(200, log.statusCode());
            assertTrue(log.headers().firstValue("content-type").orElse("").startsWith("application/x-ndjson"));
            JsonNode last = ProtocolCodec.mapper().readTree(log.body().lines().reduce((a, b) -> b).orElseThrow());
            assertEquals("room_closed", last.path("type").asText());

            HttpResponse<String> dataset = call("GET", base + "/api/sessions/" + id + "/dataset");
            assertEquals(id, ProtocolCodec.mapper().readTree(dataset.body()).path("sessionId").asText());
            assertEquals(401, http.send(HttpRequest.newBuilder(URI.create(base + "/api/sessions")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}
