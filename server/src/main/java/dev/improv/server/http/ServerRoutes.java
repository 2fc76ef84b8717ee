package dev.improv.server.http;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code /healthz} (anyone, every listener) and {@code /metrics} (Prometheus text; the operators' listener). */
public final class ServerRoutes {
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerMetrics metrics;

    public ServerRoutes(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/healthz", Route.Access.PUBLIC, ex -> ex.json(HttpResponseStatus.OK,
                        new AdminAnswers.Health("ok", metrics.openRooms(), metrics.openConnections())))
                        .documented(ApiDoc.of("Liveness: the process serves HTTP")
                                .answers(200, "ok, with the open rooms and connections", AdminAnswers.Health.class)),
                Route.get("/metrics", Route.Access.OPERATOR, ex -> ex.bytes(HttpResponseStatus.OK, PROMETHEUS,
                        metrics.scrape().getBytes(StandardCharsets.UTF_8)))
                        .documented(ApiDoc.of("Prometheus metrics (docs/operations.md lists them)")
                                .answers(200, "the Prometheus text exposition", new ApiDoc.Text(PROMETHEUS))));
    }
}
