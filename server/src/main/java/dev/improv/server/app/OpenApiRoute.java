package dev.improv.server.app;

import dev.improv.server.http.ApiDoc;
import dev.improv.server.http.OpenApiDocument;
import dev.improv.server.http.Route;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /api/openapi.json}: the OpenAPI description of this server's admin API, made from its own route table
 * once at start (so a route without a description fails the start, in every test that starts a server). Served to
 * operators like {@code /metrics}: on the admin listener when there is one, no key needed.
 */
final class OpenApiRoute {
    private OpenApiRoute() {
    }

    /** The route describing {@code routes} and itself. */
    static Route of(List<Route> routes) {
        byte[][] document = new byte[1][];
        Route self = Route.get(OpenApiDocument.ROUTE, Route.Access.OPERATOR,
                ex -> ex.bytes(HttpResponseStatus.OK, "application/json; charset=utf-8", document[0]))
                .documented(ApiDoc.of("This description (OpenAPI 3.1), also committed as docs/openapi.json")
                        .answers(200, "the OpenAPI document", new ApiDoc.AnyObject()));
        List<Route> all = new ArrayList<>(routes);
        all.add(self);
        document[0] = OpenApiDocument.text(all).getBytes(StandardCharsets.UTF_8);
        return self;
    }
}
