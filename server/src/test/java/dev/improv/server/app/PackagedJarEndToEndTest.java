package dev.improv.server.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar an operator runs, started the way the README says ({@code java -jar server/target/improv-server.jar}),
 * not the test class path: the shaded jar must hold every class the server loads and the pages it serves. (A test
 * scope on one of micrometer's dependencies once took it out of the jar, and {@code java -jar} failed at start
 * while every other test, on the class path, passed.) Failsafe runs after {@code package}, so the jar is there.
 */
@Tag("integration")
class PackagedJarEndToEndTest {
    private static final Path JAR = Path.of("target", "improv-server.jar");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path data;

    @Test
    void theJarStartsServesThePagesAndARoomAndStopsCleanly() throws Exception {
        assertTrue(Files.isRegularFile(JAR), "mvn package builds " + JAR.toAbsolutePath());
        try (KillableServer server = KillableServer.startJar(JAR, data)) {
            assertEquals(200, server.admin("GET", "/healthz", null).statusCode(), "/healthz");
            HttpResponse<String> page = get(server, "/perform.html");
            assertEquals(200, page.statusCode(), "the performer's page is in the jar");
            assertTrue(page.body().contains("<html"), page.body());
            assertEquals(200, get(server, "/js/page.js").statusCode(), "the pages' scripts");

            JsonNode created = server.adminJson("POST", "/api/rooms", "{\"name\":\"From the jar\"}");
            String roomId = created.path("room").path("id").asText();
            TestClient mod = TestClient.join(server.ws("/ws/rooms/" + roomId + "?token="
                    + TestServer.link(created, "moderator", 0).path("token").asText()));
            TestClient ana = TestClient.join(server.ws("/ws/rooms/" + roomId + "?token="
                    + TestServer.link(created, "performer", 0).path("token").asText()));
            mod.send("{\"type\":\"prompt\",\"text\":\"from the jar\",\"cid\":\"j1\"}");
            mod.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("j1"),
                    "the prompt acknowledged (written to the log)");
            ana.await(m -> m.path("text").asText().equals("from the jar"), "the prompt at the performer");
            assertTrue(server.admin("GET", "/metrics", null).body().contains("improv_connections"), "/metrics");

            String listening = server.output().stream().filter(l -> l.contains("listening on")).findFirst()
                    .orElseThrow();
            if (System.getProperty("os.name").equals("Linux") && List.of("amd64", "x86_64")
                    .contains(System.getProperty("os.arch"))) {
                assertTrue(listening.contains("(epoll"), "the jar carries Netty's native transport: " + listening);
            }
            mod.abort();
            ana.abort();
            server.terminate();
            // a clean stop leaves a checkpoint of the log (the next start reads it instead of the whole log)
            try (var files = Files.list(data.resolve("wal"))) {
                List<String> names = files.map(f -> f.getFileName().toString()).toList();
                assertTrue(names.stream().anyMatch(n -> n.contains("checkpoint")), "a clean stop (exit code "
                        + server.exitValue() + "): " + names + "; " + server.output());
            }
            System.out.println("java -jar: exit code " + server.exitValue() + " after SIGTERM; " + listening.trim());
            assertTrue(server.output().stream().noneMatch(l -> l.contains("NoClassDefFoundError")
                    || l.contains("ClassNotFoundException")), "every class was in the jar: " + server.output());
        }
    }

    /** A page or script, as a browser gets it (not an API route: no OpenAPI check). */
    private static HttpResponse<String> get(KillableServer server, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theJarsHelpListsTheFlags() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(), "--help")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "--help returns");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("--data-dir") && out.contains("--admin-key-file"), out);
    }
}
