package dev.improv.server.http;

import dev.improv.server.metrics.ServerMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /healthz} (anyone, every listener) and {@code /metrics} (Prometheus text; the operators' listener). */
public final class ServerRoutes {
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerMetrics metrics;

    public ServerRoutes(ServerMetrics metrics) {
        this.metrics = metrics;
    }

    public List<Route> routes() {
        return List.of(
                Route.get("/healthz", Route.Access.PUBLIC, ex -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", "ok");
                    body.put("rooms", metrics.openRooms());
                    body.put("connections", metrics.openConnections());
                    ex.json(HttpResponseStatus.OK, body);
                }),
                Route.get("/metrics", Route.Access.OPERATOR, ex -> ex.bytes(HttpResponseStatus.OK, PROMETHEUS,
                        metrics.scrape().getBytes(StandardCharsets.UTF_8))));
    }
}
