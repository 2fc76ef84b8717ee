package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool close that the operator was answered (with the performers' final time accounting) survives a SIGKILL
 * right after the answer: the pool does not come back with its queue and its intervals running on. The server
 * lingers 100 ms between forces, so a close that was answered before its fact was written would be lost by the
 * kill (it was, before the answer waited for the log).
 */
@Tag("integration")
class PoolCloseCrashTest {
    @TempDir
    Path data;

    private static TestClient queue(KillableServer server, String pool, String name, String language)
            throws Exception {
        JsonNode link = server.adminJson("POST", "/api/pools/" + pool + "/links",
                "{\"role\":\"performer\",\"name\":\"" + name + "\"}");
        TestClient p = TestClient.connect(server.ws("/ws/lobby/" + pool + "?token=" + link.path("token").asText()));
        p.await("lobby_welcome");
        p.send("{\"type\":\"lobby_join\",\"languages\":[\"" + language + "\"],\"consentVersion\":1}");
        return p;
    }

    private static void open(KillableServer server, String pool) throws Exception {
        assertEquals(201, server.admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":1,"
                + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
    }

    @Test
    void aClosedPoolStaysClosedWhenTheServerIsKilledRightAfterTheAnswer() throws Exception {
        try (KillableServer first = KillableServer.start(data, "--log-batch-linger-us", "100000")) {
            open(first, "kept");
            open(first, "gone");
            queue(first, "gone", "p1", "fr");
            TestClient p2 = queue(first, "gone", "p2", "de"); // no common language: both wait
            assertEquals(2, p2.await("lobby_queued").path("position").asInt());
            // p2's join was just written: the close fact comes within the linger after that force
            long t0 = System.nanoTime();
            HttpResponse<String> closed = first.admin("DELETE", "/api/pools/gone", null);
            long answeredMs = (System.nanoTime() - t0) / 1_000_000;
            first.kill();
            assertEquals(200, closed.statusCode(), closed.body());
            JsonNode statement = ProtocolCodec.mapper().readTree(closed.body());
            assertEquals(2, statement.path("performers").size(), closed.body());
            for (JsonNode p : statement.path("performers")) {
                assertTrue(p.path("lobbyMs").asLong() > 0, p.toString());
            }
            System.out.printf("pool close answered after %d ms (the log lingers 100 ms between forces)%n",
                    answeredMs);
        }
        try (KillableServer second = KillableServer.start(data)) {
            assertEquals(404, second.admin("GET", "/api/pools/gone", null).statusCode(),
                    "the pool closed before the kill came back");
            List<String> ids = new ArrayList<>();
            second.adminJson("GET", "/api/pools", null).path("pools").forEach(p -> ids.add(p.path("pool").asText()));
            assertEquals(List.of("kept"), ids);
        }
    }
}
