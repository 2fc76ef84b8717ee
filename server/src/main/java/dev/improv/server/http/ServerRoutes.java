package dev.improv.server.http;

import dev.improv.server.metrics.ScrapeRenderer;
import dev.improv.server.metrics.ServerMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /healthz} (anyone, every listener) and {@code /metrics} (Prometheus text; the operators' listener), rendered
 * off the I/O thread and shared by scrapes less than 100 ms apart ({@link ScrapeRenderer}).
 */
public final class ServerRoutes {
    static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

    private final ServerMetrics metrics;
    private final ScrapeRenderer scrapes;

    public ServerRoutes(ServerMetrics metrics) {
        this.metrics = metrics;
        this.scrapes = new ScrapeRenderer(metrics);
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
                Route.get("/metrics", Route.Access.OPERATOR, ex -> ex.reply(scrapes.scrape(),
                        text -> ex.bytes(HttpResponseStatus.OK, PROMETHEUS, text))));
    }
}
