package dev.improv.server.hostile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's passive members, literally: a moderator, a recorder and an observer who only receive stay connected
 * for 5 minutes in a busy room, with the default keep-alive timers (ping 20 s, idle 60 s). Five minutes are too
 * long for the normal suite, so this is tagged {@code soak} (neither surefire nor failsafe run it by default; the
 * scaled twin in HostileClientsEndToEndTest runs in every build). On demand:
 * {@code mvn -B -o -pl server -am verify -DskipUTs -Dslow.test.groups=soak -Dit.test=PassiveMembersSoakTest}.
 */
@Tag("soak")
class PassiveMembersSoakTest {
    private static final long RUN_MS = 5 * 60_000;

    @TempDir
    Path data;

    @Test
    void passiveMembersStayFiveMinutesInABusyRoomWithTheDefaultTimers() throws Exception {
        try (TestServer server = TestServer.startWithLog(data, "--fsync", "OFF");
             RoomProbe room = RoomProbe.open(server.port(), "test-admin-key",
                     "{\"moderators\":2,\"recorders\":1,\"observers\":1}")) {
            TestClient moderator = room.join("moderator", 1);
            TestClient recorder = room.join("recorder", 0);
            TestClient observer = room.join("observer", 0);
            long start = System.nanoTime();
            List<Double> latencies = room.promptsFor(RUN_MS, 100);
            double ranMs = (System.nanoTime() - start) / 1e6;
            System.out.printf("passive members soak: %.0f s with the default timers, %d prompts, %s%n", ranMs / 1000,
                    latencies.size(), RoomProbe.summary(latencies));
            assertFalse(moderator.isClosed(), "the moderator who only watched is still connected");
            assertFalse(recorder.isClosed(), "the recorder too");
            assertFalse(observer.isClosed(), "the observer too");
            for (TestClient passive : List.of(moderator, recorder, observer)) {
                assertTrue(passive.ofType("prompt").size() >= latencies.size() - 1, "received the room's events");
            }
        }
    }
}
