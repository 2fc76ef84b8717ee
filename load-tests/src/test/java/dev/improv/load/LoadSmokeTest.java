package dev.improv.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.load.peers.BareRelay;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.app.ServerApp;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator's fan-out against our server and the bare relay, in process, and against the Node ws relay (its own
 * process, on loopback), for a few seconds: every prompt reaches every member of its room exactly once and nowhere
 * else. Latency is not asserted (shared machines). The Node relay's case runs where {@code peers-node/install.sh}
 * has installed its locked {@code ws} (bench.sh does that); the test itself fetches nothing.
 */
@Tag("integration")
class LoadSmokeTest {
    private static final String ADMIN_KEY = "smoke-admin-key";

    @Test
    @Timeout(60)
    void fanoutOnOurServerLosesNothing(@TempDir Path data) throws Exception {
        ServerConfig config = ServerCommand.parse("--host", "127.0.0.1", "--port", "0", "--data-dir",
                data.toString(), "--admin-key", ADMIN_KEY, "--no-session-log", "--shutdown-grace-ms", "2000").toConfig();
        try (ServerApp server = ServerApp.start(config)) {
            ObjectNode r = fanout("improv", server.port());
            // Our server sends every room event to every member, the moderator who pushed it included.
            assertEquals(r.path("sent").asLong() * 4, r.path("expected").asLong(), r.toString());
        }
    }

    @Test
    @Timeout(60)
    void fanoutOnBareRelayLosesNothing() throws Exception {
        BareRelay relay = BareRelay.start("127.0.0.1", 0, BareRelay.Options.naive());
        try {
            ObjectNode r = fanout("bare", relay.port());
            assertEquals(r.path("sent").asLong() * 3, r.path("expected").asLong(), r.toString());
        } finally {
            relay.close();
        }
    }

    @Test
    @Timeout(60)
    void fanoutOnNodeWsRelayLosesNothing() throws Exception {
        Path relay = Path.of("peers-node", "relay.js").toAbsolutePath();
        assumeTrue(Files.exists(relay.resolveSibling("node_modules/ws/package.json")),
                "the Node relay is not installed here: run load-tests/peers-node/install.sh");
        Process node = new ProcessBuilder("node", relay.toString(), "--host", "127.0.0.1", "--port", "0")
                .redirectErrorStream(true).start();
        try {
            int port;
            try (BufferedReader out = node.inputReader(StandardCharsets.UTF_8)) {
                String line = out.readLine();
                Matcher m = Pattern.compile("listening on port (\\d+)").matcher(line == null ? "" : line);
                assertTrue(m.find(), "the relay did not start: " + line);
                port = Integer.parseInt(m.group(1));
                ObjectNode r = fanout("bare", port);
                assertEquals(r.path("sent").asLong() * 3, r.path("expected").asLong(), r.toString());
            }
        } finally {
            node.destroy();
            if (!node.waitFor(5, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
    }

    private static ObjectNode fanout(String target, int port) throws Exception {
        ObjectNode r = LoadGenerator.run(new Args(new String[] {"--target", target, "--port", Integer.toString(port),
                "--admin-key", ADMIN_KEY, "--scenario", "fanout", "--rooms", "5", "--period-ms", "100",
                "--warmup-s", "1", "--measure-s", "2", "--drain-ms", "3000", "--threads", "1",
                "--local-addresses", "1"}));
        assertFalse(r.has("aborted"), r.toString());
        assertTrue(r.path("sent").asLong() > 0, r.toString());
        assertEquals(0, r.path("lost").asLong(), r.toString());
        assertEquals(0, r.path("unexpected").asLong(), r.toString());
        assertEquals(r.path("expected").asLong(), r.path("received").asLong(), r.toString());
        assertEquals(0, r.path("droppedConnections").asLong(), r.toString());
        return r;
    }
}
