package dev.improv.server.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.SessionLogReader;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An open call over real WebSockets: 10 performers and 2 moderators end up in 5 rooms, consent in every log. */
@Tag("integration")
class LobbyEndToEndTest {
    @TempDir
    Path data;

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return ProtocolCodec.mapper().readTree(r.body());
    }

    @Test
    void tenPerformersAndTwoModeratorsEndUpInFiveRoomsWithConsentInEachLog() throws Exception {
        try (TestServer server = TestServer.startWithLog(data)) {
            HttpResponse<String> created = server.admin("POST", "/api/pools", "{\"id\":\"english-comedy\","
                    + "\"consentVersion\":2,\"consentText\":\"Your performance is recorded for AI training.\","
                    + "\"roomSize\":2,\"moderatorCapacity\":3}");
            assertEquals(201, created.statusCode(), created.body());
            assertEquals(409, server.admin("POST", "/api/pools", "{\"id\":\"english-comedy\",\"consentVersion\":1,"
                    + "\"consentText\":\"x\"}").statusCode());
            assertEquals(400, server.admin("POST", "/api/pools", "{\"id\":\"Bad Id\",\"consentVersion\":1,"
                    + "\"consentText\":\"x\"}").statusCode());

            List<TestClient> moderators = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                JsonNode link = json(server.admin("POST", "/api/pools/english-comedy/links",
                        "{\"role\":\"moderator\",\"name\":\"Mod " + i + "\"}"));
                TestClient m = TestClient.connect(lobbyUrl(server, link));
                m.await("lobby_welcome");
                moderators.add(m);
            }
            Map<String, TestClient> performers = new HashMap<>();
            Map<String, String> lobbyUrlOfAll = new HashMap<>();
            for (int i = 0; i < 10; i++) {
                JsonNode link = json(server.admin("POST", "/api/pools/english-comedy/links",
                        "{\"role\":\"performer\",\"name\":\"Performer " + i + "\"}"));
                TestClient p = TestClient.connect(lobbyUrl(server, link));
                JsonNode welcome = p.await("lobby_welcome");
                assertEquals(2, welcome.path("consent").path("version").asInt());
                assertEquals("Your performance is recorded for AI training.",
                        welcome.path("consent").path("text").asText());
                if (i == 0) {
                    p.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":1}");
                    JsonNode refused = p.await("error");
                    assertEquals("CONSENT_REQUIRED", refused.path("code").asText());
                    assertEquals("consentVersion", refused.path("field").asText());
                }
                p.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"tags\":[\"comedy\"],\"consentVersion\":2}");
                performers.put(link.path("participantId").asText(), p);
                lobbyUrlOfAll.put(link.path("participantId").asText(), lobbyUrl(server, link));
            }
            // every performer gets an offer, accepts it, and gets its room link
            Map<String, String> roomOf = new HashMap<>();
            for (Map.Entry<String, TestClient> e : performers.entrySet()) {
                TestClient p = e.getValue();
                JsonNode offer = p.await("lobby_offer");
                assertEquals(2, offer.path("performers").size());
                assertTrue(offer.path("performers").toString().contains(e.getKey()));
                p.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + offer.path("offerId").asText() + "\"}");
            }
            Map<String, JsonNode> matchedOf = new HashMap<>();
            for (Map.Entry<String, TestClient> e : performers.entrySet()) {
                JsonNode matched = e.getValue().await("lobby_matched");
                roomOf.put(e.getKey(), matched.path("roomId").asText());
                matchedOf.put(e.getKey(), matched);
            }
            Set<String> rooms = new HashSet<>(roomOf.values());
            assertEquals(5, rooms.size());
            // the dashboard's wait time: one sample per performer who got a room
            String metrics = server.metrics();
            assertTrue(metrics.contains("improv_lobby_wait_seconds_count 10"), metrics.lines()
                    .filter(l -> l.startsWith("improv_lobby_wait")).toList().toString());
            for (String room : rooms) {
                assertEquals(2, roomOf.values().stream().filter(room::equals).count());
            }
            // moderators got links to the rooms they watch: 3 + 2 (capacity 3 each)
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> moderators.stream()
                    .mapToLong(m -> m.ofType("lobby_matched").size()).sum() == 5);
            assertTrue(moderators.stream().allMatch(m -> m.ofType("lobby_matched").size() <= 3));

            // the matched performers join their rooms with the links they got: no second step
            List<TestClient> inRooms = new ArrayList<>();
            for (Map.Entry<String, JsonNode> e : matchedOf.entrySet()) {
                JsonNode m = e.getValue();
                TestClient c = TestClient.join(server.wsUrl(m.path("roomId").asText(), m.path("token").asText()));
                assertEquals(e.getKey(), c.welcomeId(), "the performer keeps its lobby identity in the room");
                inRooms.add(c);
            }
            // each room's session log holds both performers' consent, before anything else of theirs
            for (String room : rooms) {
                String session = json(server.admin("GET", "/api/rooms/" + room, null)).path("sessionId").asText();
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() ->
                        dev.improv.server.eventlog.OfflineWal.read(data, session).events().stream().filter(ev -> ev.type().equals("member_joined"))
                                .count() == 2);
                List<SessionLogReader.LogEvent> events = dev.improv.server.eventlog.OfflineWal.read(data, session).events();
                assertEquals("consent", events.get(0).type());
                assertEquals("consent", events.get(1).type());
                Set<String> consented = new HashSet<>();
                for (SessionLogReader.LogEvent ev : events.subList(0, 2)) {
                    assertEquals(2, ev.json().path("consentVersion").asInt());
                    assertEquals("english-comedy", ev.json().path("pool").asText());
                    assertTrue(ev.json().path("acceptedAt").asLong() > 0);
                    consented.add(ev.json().path("participant").asText());
                }
                Set<String> members = new HashSet<>();
                roomOf.forEach((pid, r) -> {
                    if (r.equals(room)) {
                        members.add(pid);
                    }
                });
                assertEquals(members, consented);
            }
            // a matched performer whose lobby page reconnects and queues again is sent to its room, not the queue
            String again = performers.keySet().iterator().next();
            try (TestClient back = TestClient.connect(lobbyUrlOfAll.get(again))) {
                back.await("lobby_matched");
                back.send("{\"type\":\"lobby_join\",\"languages\":[\"en\"],\"consentVersion\":2}");
                Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> back.ofType("lobby_matched").size() == 2);
                assertEquals(roomOf.get(again), back.ofType("lobby_matched").get(1).path("roomId").asText());
                assertTrue(back.ofType("lobby_queued").isEmpty());
            }
            // honest time: a performer's lobby time is accounted for
            String somePid = performers.keySet().iterator().next();
            JsonNode time = json(server.admin("GET", "/api/pools/english-comedy/performers/" + somePid + "/time", null));
            assertEquals(somePid, time.path("pid").asText());
            assertTrue(time.path("lobbyMs").asLong() >= 0);
            JsonNode all = json(server.admin("GET", "/api/pools/english-comedy/time", null));
            assertEquals(10, all.path("performers").size());
            assertFalse(server.request("GET", "/api/pools", null, null).statusCode() == 200, "admin only");
            inRooms.forEach(TestClient::close);
            moderators.forEach(TestClient::close);
            performers.values().forEach(TestClient::close);
        }
    }

    static String lobbyUrl(TestServer server, JsonNode link) {
        return "ws://127.0.0.1:" + server.port() + "/ws/lobby/english-comedy?token=" + link.path("token").asText();
    }
}
