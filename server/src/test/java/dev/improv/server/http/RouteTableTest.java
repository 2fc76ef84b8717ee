package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.handler.codec.http.HttpMethod;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Matching: literal segments, parameters, 404 against 405, HEAD through GET, decoding per segment. */
class RouteTableTest {
    private static final RouteHandler NOTHING = ex -> { };
    private static final Middleware NO_CHECK = next -> next;

    private final RouteTable table = RouteTable.of(List.of(
            Route.get("/api/pools/{id}", Route.Access.ADMIN, NOTHING),
            Route.get("/api/pools/{id}/time", Route.Access.ADMIN, NOTHING),
            Route.get("/api/pools/{id}/performers/{pid}/time", Route.Access.ADMIN, NOTHING),
            Route.post("/api/pools/{id}/links", Route.Access.ADMIN, NOTHING),
            Route.get("/api/rooms/{id}", Route.Access.ADMIN, NOTHING),
            Route.delete("/api/rooms/{id}", Route.Access.ADMIN, NOTHING),
            Route.get("/api/rooms/special", Route.Access.PUBLIC, NOTHING),
            Route.get("/", Route.Access.PUBLIC, NOTHING)), r -> true, NO_CHECK);

    private RouteTable.Found found(HttpMethod method, String path) {
        return assertInstanceOf(RouteTable.Found.class, table.match(method, path), method + " " + path);
    }

    @Test
    void parametersAreBoundAndDecodedOneSegmentAtATime() {
        RouteTable.Found f = found(HttpMethod.GET, "/api/pools/english-comedy/performers/p%2F1/time");
        assertEquals(Map.of("id", "english-comedy", "pid", "p/1"), f.params());
        assertEquals("/api/pools/{id}/performers/{pid}/time", f.route().pattern());
    }

    @Test
    void aLiteralSegmentWinsOverAParameter() {
        assertEquals("/api/rooms/special", found(HttpMethod.GET, "/api/rooms/special").route().pattern());
        assertEquals("/api/rooms/{id}", found(HttpMethod.GET, "/api/rooms/abc").route().pattern());
    }

    @Test
    void unknownPathsAreNotFoundWhateverTheMethod() {
        assertInstanceOf(RouteTable.NotFound.class, table.match(HttpMethod.GET, "/api/rooms/x/foo"));
        assertInstanceOf(RouteTable.NotFound.class, table.match(HttpMethod.POST, "/api/rooms/x/foo"));
        assertInstanceOf(RouteTable.NotFound.class, table.match(HttpMethod.GET, "/api/rooms/"));
        assertInstanceOf(RouteTable.NotFound.class, table.match(HttpMethod.GET, "/api/pools//time"));
        assertInstanceOf(RouteTable.NotFound.class, table.match(HttpMethod.GET, "/nope"));
    }

    @Test
    void aKnownPathWithAnotherMethodListsTheMethodsThatWould() {
        RouteTable.WrongMethod wrong = assertInstanceOf(RouteTable.WrongMethod.class,
                table.match(HttpMethod.PUT, "/api/rooms/abc"));
        assertEquals(Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.DELETE), wrong.allowed());
        assertEquals(Set.of(HttpMethod.POST), ((RouteTable.WrongMethod) table.match(HttpMethod.GET,
                "/api/pools/x/links")).allowed());
    }

    @Test
    void headIsAnsweredByTheGetRoute() {
        assertEquals(HttpMethod.GET, found(HttpMethod.HEAD, "/").route().method());
    }

    @Test
    void onlyTheRoutesOfThisListenerAndTheAdminCheckOnAdminRoutes() {
        RouteHandler refuse = ex -> {
            throw new IllegalStateException("refused");
        };
        RouteTable publicOnly = RouteTable.of(List.of(Route.get("/a", Route.Access.ADMIN, NOTHING),
                Route.get("/b", Route.Access.PUBLIC, NOTHING)), r -> r.access() == Route.Access.PUBLIC, next -> refuse);
        assertInstanceOf(RouteTable.NotFound.class, publicOnly.match(HttpMethod.GET, "/a"));
        RouteTable.Found b = assertInstanceOf(RouteTable.Found.class, publicOnly.match(HttpMethod.GET, "/b"));
        assertEquals(NOTHING, b.handler(), "public routes are not wrapped");

        RouteTable all = RouteTable.of(List.of(Route.get("/a", Route.Access.ADMIN, NOTHING)), r -> true, next -> refuse);
        assertEquals(refuse, ((RouteTable.Found) all.match(HttpMethod.GET, "/a")).handler(), "admin routes are");
    }

    @Test
    void twoRoutesForOneMethodAndPatternAreAMistake() {
        assertThrows(IllegalArgumentException.class, () -> RouteTable.of(List.of(
                Route.get("/a/{x}", Route.Access.PUBLIC, NOTHING), Route.get("/a/{x}", Route.Access.ADMIN, NOTHING)),
                r -> true, NO_CHECK));
    }
}
