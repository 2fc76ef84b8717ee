package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.MessageKind;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rooms over real WebSockets: roles, prompts, signalling, marks, time sync, moderator actions. */
@Tag("integration")
class RoomEndToEndTest {
    @TempDir
    static Path data;
    static TestServer server;
    JsonNode room;
    String roomId;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(data, "--max-messages-per-second", "1000", "--message-burst", "1000");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @BeforeEach
    void newRoom() throws Exception {
        room = server.createRoom("{\"name\":\"Cake\",\"performers\":[\"Ana\",\"Ben\",\"Cy\"],\"observers\":1}");
        roomId = room.path("room").path("id").asText();
    }

    TestClient join(String role, int index) {
        return TestClient.join(server.wsUrl(roomId, TestServer.link(room, role, index).path("token").asText()));
    }

    static void assertGapFree(TestClient c) {
        JsonNode welcome = c.await("welcome");
        long expected = welcome.has("replayFrom") ? welcome.path("replayFrom").asLong()
                : welcome.path("seq").asLong() + 1;
        for (JsonNode m : c.received()) {
            if (MessageKind.ROOM_EVENT.types().containsKey(m.path("type").asText())) {
                assertEquals(expected, m.path("seq").asLong(), "gap or disorder in " + c.received());
                assertTrue(m.path("ts").asLong() > 1_600_000_000_000_000L, "ts is microseconds since the epoch");
                expected++;
            }
        }
    }

    @Test
    void everyRoleJoinsAndGetsAWelcomeWithRosterAndState() {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient rec = join("recorder", 0); TestClient obs = join("observer", 0)) {
            JsonNode welcome = obs.await("welcome");
            assertEquals(1, welcome.path("v").asInt());
            assertEquals("observer", welcome.path("you").path("role").asText());
            assertEquals(roomId, welcome.path("room").path("id").asText());
            assertEquals("Cake", welcome.path("room").path("name").asText());
            assertEquals(4, welcome.path("roster").size());
            assertTrue(welcome.path("serverTs").asLong() > 0);
            assertEquals("moderator", mod.await("welcome").path("you").path("role").asText());
            assertEquals("recorder", rec.await("welcome").path("you").path("role").asText());
            // the moderator saw the three others arrive, in order
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> mod.ofType("member_joined").size() == 3);
            List<String> roles = mod.ofType("member_joined").stream()
                    .map(m -> m.path("member").path("role").asText()).toList();
            assertEquals(List.of("performer", "recorder", "observer"), roles);
            assertGapFree(mod);
        }
    }

    @Test
    void promptsReachEveryOtherMemberInOrderWithGapFreeSeq() {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient ben = join("performer", 1); TestClient rec = join("recorder", 0)) {
            for (int i = 0; i < 50; i++) {
                mod.send("{\"type\":\"prompt\",\"text\":\"prompt " + i + "\",\"durationMs\":30000,\"cid\":\"p" + i
                        + "\",\"meta\":{\"category\":\"siblings\",\"n\":" + i + "}}");
            }
            for (TestClient c : List.of(ana, ben, rec, mod)) {
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> c.ofType("prompt").size() == 50);
                List<JsonNode> prompts = c.ofType("prompt");
                for (int i = 0; i < 50; i++) {
                    assertEquals("prompt " + i, prompts.get(i).path("text").asText());
                    assertEquals(i, prompts.get(i).path("meta").path("n").asInt(), "meta delivered intact");
                    assertEquals(30000, prompts.get(i).path("durationMs").asLong());
                }
                assertGapFree(c);
            }
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 50);
            for (JsonNode ack : mod.ofType("ack")) {
                assertTrue(ack.path("eventSeq").asLong() > 0);
            }
        }
    }

    @Test
    void performersAndRecordersCannotPushPrompts() {
        try (TestClient ana = join("performer", 0); TestClient rec = join("recorder", 0)) {
            ana.send("{\"type\":\"prompt\",\"text\":\"I decide\",\"cid\":\"x\"}");
            JsonNode error = ana.await("error");
            assertEquals("NOT_AUTHORIZED", error.path("code").asText());
            assertEquals("x", error.path("cid").asText());
            rec.send("{\"type\":\"prompt\",\"text\":\"me too\"}");
            assertEquals("NOT_AUTHORIZED", rec.await("error").path("code").asText());
            assertTrue(ana.ofType("prompt").isEmpty());
            assertFalse(ana.isClosed(), "a refused message keeps the connection");
        }
    }

    @Test
    void signallingReachesExactlyTheAddressedPeer() throws Exception {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient ben = join("performer", 1); TestClient cy = join("performer", 2)) {
            String benId = ben.welcomeId();
            String sdp = "v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n" + "a=x".repeat(1000);
            ana.send("{\"type\":\"signal\",\"to\":\"" + benId + "\",\"kind\":\"offer\",\"data\":{\"sdp\":\"" + sdp
                    + "\"}}");
            JsonNode relayed = ben.await("signal");
            assertEquals(ana.welcomeId(), relayed.path("from").asText());
            assertEquals("offer", relayed.path("kind").asText());
            assertTrue(relayed.path("data").path("sdp").asText().startsWith("v=0"));
            ben.send("{\"type\":\"signal\",\"to\":\"" + ana.welcomeId()
                    + "\",\"kind\":\"ice\",\"data\":{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 5000 typ host\"}}");
            ana.await("signal");
            Thread.sleep(200); // nothing else should arrive; a bounded look for stray deliveries
            assertTrue(cy.ofType("signal").isEmpty());
            assertTrue(mod.ofType("signal").isEmpty());
            assertEquals(1, ben.ofType("signal").size());
            assertEquals(1, ana.ofType("signal").size());
            ana.send("{\"type\":\"signal\",\"to\":\"nobody\",\"kind\":\"offer\",\"data\":{}}");
            JsonNode error = ana.await("error");
            assertEquals("UNKNOWN_PEER", error.path("code").asText());
            assertEquals("to", error.path("field").asText());
        }
    }

    @Test
    void roomsAreIsolated() throws Exception {
        JsonNode other = server.createRoom("{}");
        String otherId = other.path("room").path("id").asText();
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient stranger = TestClient.join(server.wsUrl(otherId,
                     TestServer.link(other, "performer", 0).path("token").asText()))) {
            mod.send("{\"type\":\"prompt\",\"text\":\"only for room one\"}");
            ana.await("prompt");
            stranger.send("{\"type\":\"signal\",\"to\":\"" + ana.welcomeId() + "\",\"kind\":\"offer\",\"data\":{}}");
            assertEquals("UNKNOWN_PEER", stranger.await("error").path("code").asText());
            Thread.sleep(200);
            assertTrue(stranger.ofType("prompt").isEmpty());
            assertTrue(ana.ofType("signal").isEmpty());
        }
    }

    @Test
    void marksAreStampedAndPlacedOnTheServerTimelineAfterTimeSync() {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient rec = join("recorder", 0)) {
            long clientClockSkew = -5_000_000L; // this client's clock is 5 s behind
            long t0 = System.currentTimeMillis() * 1000 + clientClockSkew;
            ana.send("{\"type\":\"time_sync\",\"clientTs\":" + t0 + "}");
            JsonNode reply = ana.await("time_sync");
            assertEquals(t0, reply.path("clientTs").asLong());
            long t3 = System.currentTimeMillis() * 1000 + clientClockSkew;
            ana.send("{\"type\":\"time_sync_report\",\"clientTs\":" + t0 + ",\"serverRecvTs\":"
                    + reply.path("serverRecvTs").asLong() + ",\"serverSendTs\":" + reply.path("serverSendTs").asLong()
                    + ",\"clientRecvTs\":" + Math.max(t0, t3) + "}");
            JsonNode clock = rec.await("clock");
            assertEquals(ana.welcomeId(), clock.path("actor").asText());
            long offset = clock.path("offsetUs").asLong();
            assertTrue(Math.abs(offset - 5_000_000L) < 200_000L, "offset near +5 s, was " + offset);
            long markTs = System.currentTimeMillis() * 1000 + clientClockSkew;
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":" + markTs + ",\"cid\":\"m1\"}");
            JsonNode mark = rec.await("mark");
            assertEquals("turn_start", mark.path("kind").asText());
            assertEquals(markTs, mark.path("clientTs").asLong());
            assertEquals(markTs + offset, mark.path("serverTs").asLong());
            assertTrue(Math.abs(mark.path("serverTs").asLong() - mark.path("ts").asLong()) < 200_000L,
                    "corrected client time lands near the server's own stamp");
            mod.await("mark");
            ana.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("m1"), "mark ack");
            mod.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1}");
            assertEquals("NOT_AUTHORIZED", mod.await("error").path("code").asText());
        }
    }

    @Test
    void scenesMuteLockAndKick() throws Exception {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0);
             TestClient ben = join("performer", 1)) {
            mod.send("{\"type\":\"scene_start\",\"title\":\"Cake\"}");
            assertEquals(1, ana.await("scene_started").path("scene").asInt());
            mod.send("{\"type\":\"scene_start\"}");
            assertEquals("SCENE_STATE", mod.await("error").path("code").asText());
            mod.send("{\"type\":\"mute\",\"target\":\"" + ben.welcomeId() + "\",\"muted\":true}");
            JsonNode muted = ben.await("muted");
            assertEquals(ben.welcomeId(), muted.path("target").asText());
            assertTrue(muted.path("muted").asBoolean());
            mod.send("{\"type\":\"scene_end\"}");
            ana.await("scene_ended");

            mod.send("{\"type\":\"lock\",\"locked\":true}");
            ana.await("room_locked");
            TestClient cy = TestClient.connect(server.wsUrl(roomId,
                    TestServer.link(room, "performer", 2).path("token").asText()));
            assertEquals("ROOM_LOCKED", cy.await("error").path("code").asText());
            assertEquals(4407, cy.awaitClose());
            // a member of the room still comes back into a locked room
            ana.abort();
            ana.close();
            TestClient anaAgain = join("performer", 0);
            assertTrue(anaAgain.await("welcome").path("resumed").asBoolean());

            mod.send("{\"type\":\"kick\",\"target\":\"" + ben.welcomeId() + "\",\"reason\":\"spoiling takes\"}");
            assertEquals(4408, ben.awaitClose());
            JsonNode left = anaAgain.await("member_left");
            assertEquals(ben.welcomeId(), left.path("id").asText());
            assertTrue(left.path("reason").asText().contains("spoiling takes"));
            mod.send("{\"type\":\"lock\",\"locked\":false}");
            TestClient benAgain = TestClient.connect(server.wsUrl(roomId,
                    TestServer.link(room, "performer", 1).path("token").asText()));
            assertEquals("KICKED", benAgain.await("error").path("code").asText());
            assertEquals(4408, benAgain.awaitClose());
            anaAgain.close();
        }
    }

    @Test
    void twoHundredMalformedFramesLeaveConnectionAndRoomWorking() {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0)) {
            List<String> bad = new ArrayList<>(List.of("", "{", "[]", "{}", "null", "42", "{\"type\":\"nope\"}",
                    "{\"type\":\"prompt\"}", "{\"type\":\"prompt\",\"text\":5}", "{\"type\":\"mark\",\"kind\":\"x\"}",
                    "{\"type\":\"prompt\",\"text\":\"a\",\"text\":\"b\"}", "{\"type\":\"signal\",\"to\":\"x\"}"));
            for (int i = 0; i < 200; i++) {
                ana.send(bad.get(i % bad.size()));
            }
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> ana.ofType("error").size() == 200);
            for (JsonNode e : ana.ofType("error")) {
                assertNotNull(e.path("code").asText(null));
                assertFalse(e.path("message").asText().isEmpty());
            }
            assertFalse(ana.isClosed());
            mod.send("{\"type\":\"prompt\",\"text\":\"still here?\"}");
            assertEquals("still here?", ana.await("prompt").path("text").asText());
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_end\",\"clientTs\":123}");
            mod.await("mark");
        }
    }

    @Test
    void clientMessageIdsAreAppliedAtMostOnce() {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0)) {
            mod.send("{\"type\":\"prompt\",\"text\":\"once\",\"cid\":\"same\"}");
            mod.send("{\"type\":\"prompt\",\"text\":\"once\",\"cid\":\"same\"}");
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() == 2);
            List<JsonNode> acks = mod.ofType("ack");
            assertEquals(acks.get(0).path("eventSeq").asLong(), acks.get(1).path("eventSeq").asLong());
            assertTrue(acks.get(1).path("duplicate").asBoolean());
            assertEquals(1, ana.ofType("prompt").size());
        }
    }

    @Test
    void reconnectWithinTheWindowResumesWithExactlyTheMissedEvents() {
        try (TestClient mod = join("moderator", 0)) {
            String token = TestServer.link(room, "performer", 0).path("token").asText();
            TestClient ana = TestClient.join(server.wsUrl(roomId, token));
            mod.send("{\"type\":\"prompt\",\"text\":\"before the cut\"}");
            long lastSeen = ana.await("prompt").path("seq").asLong();
            ana.abort();
            mod.await(m -> m.path("type").asText().equals("presence") && !m.path("connected").asBoolean(), "drop");
            mod.send("{\"type\":\"prompt\",\"text\":\"missed 1\"}");
            mod.send("{\"type\":\"prompt\",\"text\":\"missed 2\"}");
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> mod.ofType("prompt").size() == 3);
            try (TestClient back = TestClient.connect(server.wsUrl(roomId, token) + "&lastSeq=" + lastSeen)) {
                JsonNode welcome = back.await("welcome");
                assertTrue(welcome.path("resumed").asBoolean());
                assertEquals(ana.welcomeId(), welcome.path("you").path("id").asText());
                assertEquals(lastSeen + 1, welcome.path("replayFrom").asLong());
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> back.ofType("prompt").size() == 2);
                assertEquals("missed 1", back.ofType("prompt").get(0).path("text").asText());
                assertEquals("missed 2", back.ofType("prompt").get(1).path("text").asText());
                mod.await(m -> m.path("type").asText().equals("presence") && m.path("connected").asBoolean(), "back");
                assertTrue(mod.ofType("member_left").isEmpty(), "a resumed member never left");
            }
        }
    }

    @Test
    void metricsShowTheTraffic() throws Exception {
        try (TestClient mod = join("moderator", 0); TestClient ana = join("performer", 0)) {
            mod.send("{\"type\":\"prompt\",\"text\":\"count me\"}");
            ana.await("prompt");
            ana.send("{\"type\":\"bogus\"}");
            ana.await("error");
            String metrics = server.metrics();
            assertTrue(metrics.contains("improv_messages_in_total{type=\"prompt\"}"), metrics);
            assertTrue(metrics.contains("improv_messages_out_total{type=\"prompt\"}"));
            assertTrue(metrics.contains("improv_errors_total{code=\"unknown_type\"}"));
            assertTrue(metrics.contains("improv_fanout_seconds_bucket"));
            assertTrue(metrics.contains("improv_members{role=\"performer\"}"));
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("improv_connections ") && !l.endsWith(" 0.0")));
            assertNull(null);
        }
    }
}
