package dev.improv.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.load.peers.BareRelay;
import dev.improv.server.config.ServerCommand;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.app.ServerApp;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator's fan-out against our server and the bare relay, in process, for a few seconds: every prompt
 * reaches every member of its room exactly once and nowhere else. Latency is not asserted (shared machines).
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
