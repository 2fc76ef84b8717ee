package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.IceServers;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.auth.JoinLinks;
import dev.improv.server.auth.TokenService;
import dev.improv.server.config.ServerConfig;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.RoomLimits;
import dev.improv.server.routing.FakeRouter;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The admin API and the public token routes on an {@link io.netty.channel.embedded.EmbeddedChannel}, in front of a
 * {@link FakeRouter}: the admin middleware, the strict bodies and their field errors, the status codes.
 */
class AdminApiTest {
    private static final String LONG_NAME = "x".repeat(AdminBodies.MAX_NAME_CHARS + 1);

    private final FakeRouter router = new FakeRouter();
    private final TokenService tokens = new TokenService("0123456789abcdef0123456789abcdef"
            .getBytes(StandardCharsets.UTF_8), Clock.systemUTC());
    private final JoinLinks links = new JoinLinks(tokens, "http://localhost:8080", 3600, Clock.systemUTC());
    private final HttpChannel http = new HttpChannel(routes());

    private List<Route> routes() {
        List<Route> all = new ArrayList<>();
        all.addAll(new RoomRoutes(router, links, new RoomLimits(16, Map.of(Role.PERFORMER, 8), 30_000, 64), null)
                .routes());
        all.addAll(new PoolRoutes(router, links, false).routes());
        all.addAll(new IceRoute(tokens, new IceServers(ServerConfig.IceSettings.none(), Clock.systemUTC()), router)
                .routes());
        all.addAll(new ServerRoutes(new ServerMetrics()).routes());
        return all;
    }

    @AfterEach
    void finish() {
        http.close();
    }

    private HttpChannel.Response post(String uri, String body) {
        return http.admin(HttpMethod.POST, uri, body);
    }

    @Test
    void everyAdminRouteNeedsTheKey() {
        for (String uri : List.of("/api/rooms", "/api/pools", "/api/rooms/r1", "/api/pools/p/time")) {
            HttpChannel.Response r = http.get(uri);
            assertEquals(HttpResponseStatus.UNAUTHORIZED, r.status(), uri);
            assertEquals("UNAUTHORIZED", r.json().path("code").asText());
        }
        assertEquals(HttpResponseStatus.UNAUTHORIZED, http.send(HttpMethod.POST, "/api/rooms", "{}", null, false)
                .status());
        assertEquals(HttpResponseStatus.OK, http.admin(HttpMethod.GET, "/api/rooms", null).status());
        assertEquals(HttpResponseStatus.OK, http.get("/healthz").status(), "health is public");
    }

    @Test
    void aRoomIsCreatedWithItsLinks() {
        HttpChannel.Response r = post("/api/rooms", "{\"name\":\"Cake\",\"performers\":[\"Ana\",null],\"observers\":0,"
                + "\"ttlSeconds\":600}");
        assertEquals(HttpResponseStatus.CREATED, r.status(), r.body());
        JsonNode body = r.json();
        assertEquals("Cake", body.path("room").path("name").asText());
        assertEquals(4, body.path("links").size(), "2 performers, 1 moderator, 1 recorder, 0 observers");
        assertEquals("Ana", body.path("links").path(0).path("name").asText());
        assertEquals(HttpResponseStatus.CREATED, post("/api/rooms", null).status(), "no body: all defaults");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"ttlSeconds\":1.5}|ttlSeconds",
            "{\"ttlSeconds\":9223372036854775000}|ttlSeconds",
            "{\"ttlSeconds\":31536001}|ttlSeconds",
            "{\"ttlSeconds\":-1}|ttlSeconds",
            "{\"ttlSeconds\":\"60\"}|ttlSeconds",
            "{\"name\":\"\"}|name",
            "{\"name\":7}|name",
            "{\"performers\":\"many\"}|performers",
            "{\"performers\":2.5}|performers",
            "{\"performers\":33}|performers",
            "{\"performers\":[1]}|performers",
            "{\"maxPerformers\":\"3\"}|maxPerformers",
            "{\"maxPerformers\":17}|maxPerformers",
            "{\"recordMedia\":\"yes\"}|recordMedia",
            "{\"recordMedia\":true}|recordMedia",
            "{\"nmae\":\"typo\"}|nmae",
    })
    void aBadCreateRoomBodyNamesItsField(String body, String field) {
        HttpChannel.Response r = post("/api/rooms", body);
        assertEquals(HttpResponseStatus.BAD_REQUEST, r.status(), r.body());
        JsonNode error = r.json();
        assertEquals("error", error.path("type").asText(), "the WebSocket protocol's error shape");
        assertEquals(field, error.path("field").asText(), r.body());
        assertTrue(error.path("code").asText().endsWith("_FIELD"), r.body());
        assertTrue(error.path("message").asText().length() > 5, r.body());
        assertTrue(router.rooms.isEmpty(), "nothing was created");
    }

    @Test
    void namesHaveOneCapEverywhere() {
        String roomId = router.createRoom("R", null).join().id();
        router.pools.put("p", new dev.improv.server.match.LobbyHub.Summary("p", 1, 0, 0, 0, List.of()));
        for (String[] call : new String[][] {
                {"/api/rooms", "{\"name\":\"" + LONG_NAME + "\"}"},
                {"/api/rooms", "{\"performers\":[\"" + LONG_NAME + "\"]}"},
                {"/api/rooms/" + roomId + "/links", "{\"role\":\"observer\",\"name\":\"" + LONG_NAME + "\"}"},
                {"/api/pools/p/links", "{\"role\":\"performer\",\"name\":\"" + LONG_NAME + "\"}"}}) {
            HttpChannel.Response r = post(call[0], call[1]);
            assertEquals(HttpResponseStatus.BAD_REQUEST, r.status(), call[0]);
            assertTrue(r.json().path("message").asText().contains(String.valueOf(AdminBodies.MAX_NAME_CHARS)));
        }
        String ok = "x".repeat(AdminBodies.MAX_NAME_CHARS);
        assertEquals(HttpResponseStatus.CREATED, post("/api/pools/p/links",
                "{\"role\":\"performer\",\"name\":\"" + ok + "\"}").status());
    }

    @Test
    void linkLifetimesAreCappedForRoomsAndPools() {
        String roomId = router.createRoom("R", null).join().id();
        router.pools.put("p", new dev.improv.server.match.LobbyHub.Summary("p", 1, 0, 0, 0, List.of()));
        String huge = "{\"role\":\"performer\",\"ttlSeconds\":9223372036854775000}";
        assertEquals("ttlSeconds", post("/api/rooms/" + roomId + "/links", huge).json().path("field").asText());
        assertEquals("ttlSeconds", post("/api/pools/p/links", huge).json().path("field").asText());
        JsonNode link = post("/api/rooms/" + roomId + "/links", "{\"role\":\"performer\",\"ttlSeconds\":"
                + AdminBodies.MAX_TTL_SECONDS + "}").json();
        assertTrue(link.path("expiresAt").asLong() > System.currentTimeMillis() / 1000 + 364L * 86400);
    }

    @Test
    void notJsonAndNotAnObjectAreBadJson() {
        for (String body : new String[] {"{not json", "[]", "42", "{\"name\":\"a\",\"name\":\"b\"}"}) {
            HttpChannel.Response r = post("/api/rooms", body);
            assertEquals(HttpResponseStatus.BAD_REQUEST, r.status(), body);
            assertEquals("BAD_JSON", r.json().path("code").asText(), body);
        }
    }

    @Test
    void aBodyOfAnotherMediaTypeIs415() {
        assertEquals(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, http.send(HttpMethod.POST, "/api/rooms",
                "name=Cake", "application/x-www-form-urlencoded", true).status());
        assertEquals(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, http.send(HttpMethod.POST, "/api/rooms",
                "{}", "text/plain", true).status());
        assertEquals(HttpResponseStatus.CREATED, http.send(HttpMethod.POST, "/api/rooms",
                "{}", "application/json; charset=utf-8", true).status());
        assertTrue(router.rooms.size() == 1, "only the JSON one");
    }

    @Test
    void unknownPathsAre404AndOtherMethods405WithAllow() {
        String roomId = router.createRoom("R", null).join().id();
        HttpChannel.Response unknown = http.admin(HttpMethod.GET, "/api/rooms/" + roomId + "/foo", null);
        assertEquals(HttpResponseStatus.NOT_FOUND, unknown.status());
        assertEquals("NOT_FOUND", unknown.json().path("code").asText());
        assertEquals(HttpResponseStatus.NOT_FOUND, http.admin(HttpMethod.POST, "/api/nothing", "{}").status());
        HttpChannel.Response wrong = http.admin(HttpMethod.PUT, "/api/rooms", "{}");
        assertEquals(HttpResponseStatus.METHOD_NOT_ALLOWED, wrong.status());
        assertEquals("GET, HEAD, POST", wrong.headers().get("allow"));
        HttpChannel.Response noRoom = http.admin(HttpMethod.GET, "/api/rooms/nope", null);
        assertEquals(HttpResponseStatus.NOT_FOUND, noRoom.status());
        assertEquals("ROOM_NOT_FOUND", noRoom.json().path("code").asText());
        assertEquals(HttpResponseStatus.NOT_FOUND, http.admin(HttpMethod.DELETE, "/api/rooms/nope", null).status());
        assertEquals(HttpResponseStatus.OK, http.admin(HttpMethod.DELETE, "/api/rooms/" + roomId, null).status());
        assertEquals(List.of(roomId), router.closed);
    }

    @Test
    void poolsOpenOnceWithStrictFields() {
        String open = "{\"id\":\"english-comedy\",\"consentVersion\":2,\"consentText\":\"We record.\"}";
        assertEquals(HttpResponseStatus.CREATED, post("/api/pools", open).status());
        HttpChannel.Response again = post("/api/pools", open);
        assertEquals(HttpResponseStatus.CONFLICT, again.status());
        assertEquals("POOL_EXISTS", again.json().path("code").asText());
        assertEquals("consentVersion", post("/api/pools", "{\"id\":\"b\",\"consentVersion\":1.5,"
                + "\"consentText\":\"x\"}").json().path("field").asText());
        assertEquals("roomSize", post("/api/pools", "{\"id\":\"b\",\"consentVersion\":1,\"consentText\":\"x\","
                + "\"roomSize\":9}").json().path("field").asText());
        HttpChannel.Response recorded = post("/api/pools", "{\"id\":\"b\",\"consentVersion\":1,"
                + "\"consentText\":\"x\",\"recordMedia\":true}"); // this server records no media
        assertEquals(HttpResponseStatus.BAD_REQUEST, recorded.status());
        assertEquals("recordMedia", recorded.json().path("field").asText());
        assertEquals("recordMedia", post("/api/pools", "{\"id\":\"b\",\"consentVersion\":1,"
                + "\"consentText\":\"x\",\"recordMedia\":\"yes\"}").json().path("field").asText());
        assertEquals("POOL_NOT_FOUND", http.admin(HttpMethod.GET, "/api/pools/nope/time", null).json()
                .path("code").asText());
        assertEquals(HttpResponseStatus.OK, http.admin(HttpMethod.GET, "/api/pools/english-comedy/performers/p-1/time",
                null).status());
    }

    private String roomToken(String room, String pid) {
        return tokens.issue(JoinClaims.forRoom(room, Role.PERFORMER, pid, "Ana",
                System.currentTimeMillis() / 1000 + 600));
    }

    @Test
    void iceServersOnlyForCurrentMembersOfAnOpenRoom() {
        String roomId = router.createRoom("R", null).join().id();
        router.members.add(roomId + "/p-ana");
        assertEquals(HttpResponseStatus.OK, http.get("/api/ice?token=" + roomToken(roomId, "p-ana")).status());

        HttpChannel.Response stranger = http.get("/api/ice?token=" + roomToken(roomId, "p-ben"));
        assertEquals(HttpResponseStatus.FORBIDDEN, stranger.status(), "a valid token of someone not in the room");
        assertEquals("NOT_AUTHORIZED", stranger.json().path("code").asText());

        router.members.remove(roomId + "/p-ana"); // kicked
        assertEquals(HttpResponseStatus.FORBIDDEN, http.get("/api/ice?token=" + roomToken(roomId, "p-ana")).status());
        router.members.add(roomId + "/p-ana");
        router.closeRoom(roomId, "done");
        assertEquals(HttpResponseStatus.FORBIDDEN, http.get("/api/ice?token=" + roomToken(roomId, "p-ana")).status());

        HttpChannel.Response forged = http.get("/api/ice?token=forged");
        assertEquals(HttpResponseStatus.UNAUTHORIZED, forged.status());
        assertEquals("token", forged.json().path("field").asText());
        String lobby = tokens.issue(JoinClaims.forPool("p", Role.PERFORMER, "p-x", "X",
                System.currentTimeMillis() / 1000 + 600));
        assertEquals(HttpResponseStatus.FORBIDDEN, http.get("/api/ice?token=" + lobby).status());
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() {
        for (HttpChannel.Response r : List.of(http.get("/healthz"), http.get("/nope"), http.get("/api/rooms"))) {
            assertEquals("DENY", r.headers().get("x-frame-options"));
            assertEquals("no-referrer", r.headers().get("referrer-policy"));
            assertEquals("nosniff", r.headers().get("x-content-type-options"));
            assertTrue(r.headers().get("content-security-policy").contains("frame-ancestors 'none'"));
        }
        assertNull(http.get("/healthz").headers().get("allow"));
    }
}
