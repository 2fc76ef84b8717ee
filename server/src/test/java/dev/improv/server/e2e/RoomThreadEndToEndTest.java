package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members' connections move to their room's I/O thread when they join (two I/O threads: connections are accepted
 * on both in turn, so some of a room's members arrive on the other one). After the move everything still works
 * on the moved connections: prompts in order with acks, a signal to exactly one peer, keep-alive pings (the
 * timer moves with the connection; one lost in the move would ping no more), and a resume with {@code lastSeq}.
 */
@Tag("integration")
class RoomThreadEndToEndTest {
    private static final Pattern MOVED = Pattern.compile("(?m)^improv_websocket_moved_to_room_loop_total (\\S+)$");
    @TempDir
    static Path data;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.startWithLog(data, "--io-threads", "2", "--ping-interval-ms", "250",
                "--idle-timeout-ms", "1000", "--max-messages-per-second", "1000", "--message-burst", "1000");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static double moved() throws Exception {
        Matcher m = MOVED.matcher(server.metrics());
        assertTrue(m.find(), "the counter is exported");
        return Double.parseDouble(m.group(1));
    }

    @Test
    void membersArrivingOnTheOtherThreadMoveToTheRoomsAndEverythingStillFlows() throws Exception {
        JsonNode room = server.createRoom("{\"name\":\"Threads\",\"performers\":[\"Ana\",\"Ben\",\"Cy\"],"
                + "\"observers\":2}");
        String roomId = room.path("room").path("id").asText();
        double before = moved();
        List<TestClient> all = new ArrayList<>();
        try {
            String[][] seats = {{"moderator", "0"}, {"performer", "0"}, {"performer", "1"}, {"performer", "2"},
                    {"observer", "0"}, {"observer", "1"}, {"recorder", "0"}};
            for (String[] seat : seats) { // one after another: consecutive accepts alternate between the threads
                TestClient c = TestClient.join(server.wsUrl(roomId,
                        TestServer.link(room, seat[0], Integer.parseInt(seat[1])).path("token").asText()));
                c.await("welcome");
                all.add(c);
            }
            double movedNow = moved() - before;
            assertTrue(movedNow >= 2 && movedNow <= seats.length - 1,
                    "of 7 members accepted in turn on 2 threads, the ones on the other thread moved: " + movedNow);

            TestClient mod = all.get(0);
            TestClient ana = all.get(1);
            TestClient ben = all.get(2);
            for (int i = 0; i < 30; i++) {
                mod.send("{\"type\":\"prompt\",\"text\":\"prompt " + i + "\",\"cid\":\"p" + i + "\"}");
            }
            for (TestClient c : all) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> c.ofType("prompt").size() == 30);
                List<JsonNode> prompts = c.ofType("prompt");
                for (int i = 0; i < 30; i++) {
                    assertEquals("prompt " + i, prompts.get(i).path("text").asText());
                }
                RoomEndToEndTest.assertGapFree(c);
            }
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 30);

            ana.send("{\"type\":\"signal\",\"to\":\"" + ben.welcomeId() + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\"v=0\"}}");
            JsonNode signal = ben.await("signal");
            assertEquals(ana.welcomeId(), signal.path("from").asText());
            for (TestClient c : all) {
                if (c != ben) {
                    assertTrue(c.ofType("signal").isEmpty(), "a signal reaches exactly its peer");
                }
            }

            // Past the idle timeout (1 s) with no message from anyone: the server's pings (every 250 ms) go on,
            // from the timer that moved with each connection, and the pongs keep them open.
            int[] pingsBefore = all.stream().mapToInt(TestClient::pings).toArray();
            Thread.sleep(2_000);
            for (int i = 0; i < all.size(); i++) {
                TestClient c = all.get(i);
                assertFalse(c.isClosed(), "kept alive: " + c.state());
                assertTrue(c.pings() - pingsBefore[i] >= 3, "pinged on its new thread: " + (c.pings()
                        - pingsBefore[i]) + " in 2 s");
            }

            long lastSeq = ana.ofType("prompt").get(29).path("seq").asLong();
            ana.close();
            mod.send("{\"type\":\"prompt\",\"text\":\"while Ana was away\",\"cid\":\"away\"}");
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> ben.ofType("prompt").size() == 31);
            TestClient back = TestClient.join(server.wsUrl(roomId, TestServer.link(room, "performer", 0)
                    .path("token").asText()) + "&lastSeq=" + lastSeq);
            all.set(1, back);
            JsonNode missed = back.await(m -> "prompt".equals(m.path("type").asText())
                    && "while Ana was away".equals(m.path("text").asText()), "the prompt missed, replayed");
            assertTrue(missed.path("seq").asLong() > lastSeq);
            RoomEndToEndTest.assertGapFree(back);
        } finally {
            all.forEach(TestClient::close);
        }
    }
}
