package dev.improv.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.ProtocolViolation;
import dev.improv.server.testing.OpenApiContract;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generator: what it takes from the routes and records, and that it refuses an undescribed admin route. */
class OpenApiDocumentTest {
    /** The admin routes that need no running parts to be built (their handlers are never called here). */
    private static List<Route> adminRoutes() {
        List<Route> routes = new ArrayList<>();
        routes.addAll(new RoomRoutes(null, null, null, null).routes());
        routes.addAll(new PoolRoutes(null, null, false).routes());
        routes.addAll(new ServerRoutes(new dev.improv.server.metrics.ServerMetrics()).routes());
        return routes;
    }

    @Test
    void anAdminRouteWithoutADescriptionFailsTheGeneration() {
        List<Route> routes = adminRoutes();
        routes.add(Route.get("/api/secret", Route.Access.ADMIN, ex -> { }));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> OpenApiDocument.generate(routes));
        assertTrue(e.getMessage().contains("GET /api/secret"), e.getMessage());
        // a page needs no description
        routes.set(routes.size() - 1, Route.get("/page.html", Route.Access.PUBLIC, ex -> { }));
        assertFalse(OpenApiDocument.generate(routes).path("paths").has("/page.html"));
    }

    @Test
    void pathsParametersSecurityAndAnswersComeFromTheRoutes() {
        ObjectNode doc = OpenApiDocument.generate(adminRoutes());
        assertEquals("3.1.0", doc.path("openapi").asText());
        JsonNode link = doc.path("paths").path("/api/rooms/{id}/links").path("post");
        assertEquals("id", link.path("parameters").path(0).path("name").asText());
        assertEquals("path", link.path("parameters").path(0).path("in").asText());
        assertTrue(link.path("security").path(0).has("adminKey"));
        for (String status : List.of("201", "400", "401", "404", "415")) {
            assertTrue(link.path("responses").has(status), status + " in " + link.path("responses"));
        }
        assertEquals("#/components/schemas/JoinLinks.Link",
                link.at("/responses/201/content/application~1json/schema/$ref").asText());
        // healthz is public: no key, no 401
        JsonNode health = doc.path("paths").path("/healthz").path("get");
        assertFalse(health.has("security"));
        assertFalse(health.path("responses").has("401"));
    }

    @Test
    void recordSchemasFollowWhatTheMapperWrites() throws Exception {
        JsonNode schemas = OpenApiDocument.generate(adminRoutes()).path("components").path("schemas");
        JsonNode created = schemas.path("CreatedRoom");
        assertFalse(contains(created.path("required"), "media"), "media is left out when null: " + created);
        assertTrue(contains(created.path("required"), "links"));
        JsonNode summary = schemas.path("RoomSummary");
        assertEquals("performer", summary.at("/properties/byRole/propertyNames/enum/0").asText(), summary.toString());
        // a nullable text is "string or null"; a primitive is not nullable
        assertEquals("[\"string\",\"null\"]", schemas.at("/JoinLinks.Link/properties/name/type").toString());
        assertEquals("integer", schemas.at("/JoinLinks.Link/properties/expiresAt/type").asText());
        // the schema accepts what the mapper writes (and the validator is not a yes-man)
        OpenApiContract contract = new OpenApiContract(OpenApiDocument.text(adminRoutes()));
        String written = ProtocolCodec.mapper().writeValueAsString(new AdminAnswers.ClosedRoom("r1"));
        contract.check("DELETE", "/api/rooms/r1", 200, "application/json", written);
        assertThrows(AssertionError.class, () -> contract.check("DELETE", "/api/rooms/r1", 200, "application/json",
                "{\"closed\":5}"));
        assertThrows(AssertionError.class, () -> contract.check("DELETE", "/api/rooms/r1", 418, "application/json",
                written));
        AssertionError undocumented = assertThrows(AssertionError.class, () -> contract.check("GET",
                "/api/nothing", 200, "application/json", "{}"));
        assertTrue(undocumented.getMessage().startsWith("undocumented route"), undocumented.getMessage());
    }

    @Test
    void requiredRequestFieldsAreTheOnesTheRecordsRefuseToMiss() {
        for (Route route : adminRoutes()) {
            ApiDoc doc = route.doc();
            if (doc == null || doc.requestBody() == null) {
                continue;
            }
            byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
            if (doc.requiredFields().isEmpty()) {
                ProtocolCodec.decodeStrict(empty, doc.requestBody()); // must not throw
            } else {
                ProtocolViolation v = assertThrows(ProtocolViolation.class,
                        () -> ProtocolCodec.decodeStrict(empty, doc.requestBody()), route.pattern());
                assertTrue(doc.requiredFields().contains(v.field()), route.pattern() + ": " + v.field());
            }
        }
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }
}
