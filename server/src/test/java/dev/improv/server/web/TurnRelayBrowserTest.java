package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Two performer pages connect through a TURN relay only: a real coturn inside the browser's namespace on
 * 127.0.0.1 with TURN REST credentials, and an {@code /api/ice} route (added here as a test extension, the way
 * the server is expected to offer it) answering {@code iceTransportPolicy: "relay"}.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class TurnRelayBrowserTest {
    static final String TURNSERVER = "/usr/bin/turnserver";
    static final byte[] SECRET = "improv-test-turn-secret".getBytes(StandardCharsets.UTF_8);
    static final int TURN_PORT = 3478;

    // The server's own /api/ice hands out relay-only ICE with TURN REST credentials for this coturn.
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass(
            "--turn-urls", "turn:127.0.0.1:" + TURN_PORT + "?transport=udp",
            "--turn-secret", new String(SECRET, StandardCharsets.UTF_8), "--turn-credential-ttl-seconds", "600",
            "--relay-only");

    @BeforeAll
    static void startTurnServer() throws Exception {
        BrowserRig.requireInCi(Files.isExecutable(Path.of(TURNSERVER)), "the relay test needs coturn: run scripts/install-test-deps.sh");
        rig.startInNamespace("turnserver.log", TURNSERVER, "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
                "--listening-port=" + TURN_PORT, "--min-port=49160", "--max-port=49200", "--use-auth-secret",
                "--static-auth-secret=" + new String(SECRET, StandardCharsets.UTF_8), "--realm=improv.test",
                "--allow-loopback-peers", "--no-cli", "--no-tls", "--no-dtls", "--no-multicast-peers",
                "--log-file=stdout", "--pidfile=" + rig.dataDir().resolve("turnserver.pid"));
    }

    @Test
    void twoPerformersConnectThroughTheTurnRelayOnly() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Relay\",\"performers\":[\"Ana\",\"Ben\"]}");
        String ana = rig.open(rig.pageUrl(TestServer.link(room, "performer", 0)));
        rig.joinThroughCheck(ana);
        String ben = rig.open(rig.pageUrl(TestServer.link(room, "performer", 1)));
        rig.joinThroughCheck(ben);
        for (String w : List.of(ana, ben)) {
            Awaitility.await("video through the relay").atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250))
                    .until(() -> {
                        List<Map<String, Object>> stats = rig.stats(w);
                        return stats.size() == 1 && "connected".equals(stats.get(0).get("connectionState"))
                                && ((Number) stats.get(0).get("framesDecoded")).longValue() > 0;
                    });
            Map<String, Object> s = rig.stats(w).get(0);
            assertEquals(List.of("relay", "relay"), s.get("candidateTypes"), "relayed both ways: " + s);
        }
        rig.screenshot(ana, "perform-relay");
    }
}
